import CPcap
import Glibc
import NetworkTypes

/// How to open a live capture.
public struct LiveCaptureOptions: Sendable {
    /// The interface (`eth0`; `any` for every interface, in Linux cooked mode).
    public var interface: String
    /// Bytes kept of each packet.
    public var snapshotLength = 262_144
    /// The kernel's capture buffer, in bytes: what absorbs bursts while the capture thread is busy.
    public var bufferSize = 32 << 20
    /// Put the interface in promiscuous mode (off: only traffic to and from this host, which is what a server or
    /// client sees; a mirror port needs it on).
    public var promiscuous = false
    /// How long libpcap may hold packets before handing them over, in milliseconds. Also bounds how long a stop
    /// takes to be noticed.
    public var timeoutMilliseconds = 100
    /// Deliver every packet as soon as it arrives (more wake-ups; `timeoutMilliseconds` is then unused).
    public var immediateMode = false
    /// An extra BPF expression from the user, ANDed with what ftpscope needs (`requiredFilter`).
    public var filter: String?
    /// Packets per batch handed to the analysis thread.
    public var batchPackets = 256
    /// Bytes per batch (raised to the snapshot length when smaller).
    public var batchBytes = 1 << 20
    /// Full batches that may wait for the analysis thread; beyond that the capture thread drops batches (counted)
    /// rather than wait.
    public var queueCapacity = 64

    /// Options for `interface`, with the defaults.
    public init(interface: String) {
        self.interface = interface
    }
}

/// A live capture from a network interface through libpcap.
///
/// `init` opens and activates the interface and installs the filter, so every reason the capture can't start
/// (no such interface, no permission, interface down, invalid filter) is a `CaptureError` there, one line naming
/// the interface. `start()` runs a capture thread that calls `pcap_dispatch` and copies packets into reusable
/// batches (`PacketBatch`), handed over through a bounded queue; the owner takes them with `nextBatch` on its own
/// thread and gives them back with `recycle`. If the owner falls behind and the queue fills, the capture thread
/// waits for room (`statistics.waits`) and the packets wait in the kernel's buffer, which the kernel drops from
/// only when it is full (`statistics.dropped`, as tcpdump reports it).
///
/// This is not a `PacketSource`: a live source is read in batches on another thread, not one borrowed packet at a
/// time from a file.
public final class LiveCapture {
    /// The interface as given.
    public let interface: String
    /// The link-layer header type libpcap reports for it.
    public let linkType: LinkType
    /// The BPF expression in force (what ftpscope needs, ANDed with the user's filter).
    public let filterExpression: String
    /// The options it was opened with.
    public let options: LiveCaptureOptions
    /// True when timestamps have nanosecond resolution.
    public let nanosecondPrecision: Bool

    private let worker: CaptureWorker
    private var thread: pthread_t?

    /// What ftpscope itself needs from a link type: TCP (data channels use dynamic ports, so not only port 21) and
    /// ICMP/ICMPv6 destination-unreachable (they explain failed data connections), also inside 802.1Q tags on
    /// Ethernet.
    public static func requiredFilter(for linkType: LinkType) -> String {
        let base = "tcp or icmp or icmp6"
        if linkType == .ethernet { return "\(base) or (vlan and (\(base)))" }
        return base
    }

    /// Opens and activates `options.interface`, and installs the filter.
    public init(options: LiveCaptureOptions) throws(CaptureError) {
        let name = options.interface
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard !name.isEmpty else { throw CaptureError(message: "no interface given") }
        guard let handle = pcap_create(name, &errorBuffer) else {
            throw CaptureError(name, LiveCapture.clean(CaptureFile.string(errorBuffer), interface: name))
        }
        var ownsHandle = true
        defer { if ownsHandle { pcap_close(handle) } }

        pcap_set_snaplen(handle, Int32(clamping: max(64, options.snapshotLength)))
        pcap_set_promisc(handle, options.promiscuous ? 1 : 0)
        pcap_set_timeout(handle, Int32(clamping: max(1, options.timeoutMilliseconds)))
        pcap_set_buffer_size(handle, Int32(clamping: max(1 << 16, options.bufferSize)))
        if options.immediateMode { pcap_set_immediate_mode(handle, 1) }
        _ = pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO))

        let status = pcap_activate(handle)
        if status < 0 {
            throw CaptureError(name, LiveCapture.describeActivation(status, handle: handle, interface: name))
        }
        let dlt = pcap_datalink(handle)
        let linkType = LinkType(dlt: dlt)
        guard linkType.isSupported else {
            var reason = "unsupported link type DLT \(dlt)"
            if let linkName = CaptureFile.linkTypeName(dlt) { reason += " (" + linkName + ")" }
            throw CaptureError(name, reason)
        }

        // The user's expression alone first, so that its error names what the user wrote.
        let user = options.filter.map { String($0.drop(while: { $0 == " " })) }.flatMap { $0.isEmpty ? nil : $0 }
        if let user {
            var program = bpf_program()
            if pcap_compile(handle, &program, user, 1, bpf_u_int32(PCAP_NETMASK_UNKNOWN)) != 0 {
                throw CaptureError(name, "invalid filter \"\(user)\": " + CaptureFile.string(pcap_geterr(handle)))
            }
            pcap_freecode(&program)
        }
        var required = LiveCapture.requiredFilter(for: linkType)
        var expression = user.map { "(\(required)) and (\($0))" } ?? required
        var program = bpf_program()
        if pcap_compile(handle, &program, expression, 1, bpf_u_int32(PCAP_NETMASK_UNKNOWN)) != 0 {
            // The VLAN part is not supported everywhere; fall back to the plain one.
            required = "tcp or icmp or icmp6"
            expression = user.map { "(\(required)) and (\($0))" } ?? required
            if pcap_compile(handle, &program, expression, 1, bpf_u_int32(PCAP_NETMASK_UNKNOWN)) != 0 {
                throw CaptureError(
                    name, "invalid filter \"\(expression)\": " + CaptureFile.string(pcap_geterr(handle)))
            }
        }
        defer { pcap_freecode(&program) }
        if pcap_setfilter(handle, &program) != 0 {
            throw CaptureError(
                name, "can't set filter \"\(expression)\": " + CaptureFile.string(pcap_geterr(handle)))
        }

        let nanosecond = pcap_get_tstamp_precision(handle) == Int32(PCAP_TSTAMP_PRECISION_NANO)
        self.interface = name
        self.linkType = linkType
        self.filterExpression = expression
        self.options = options
        self.nanosecondPrecision = nanosecond
        ownsHandle = false
        worker = CaptureWorker(
            handle: handle, linkType: linkType, nanosecond: nanosecond,
            maxPackets: options.batchPackets, byteCapacity: max(options.batchBytes, options.snapshotLength),
            queue: BatchQueue(capacity: options.queueCapacity))
    }

    deinit {
        worker.queue.abandon()
        worker.breakLoop()
        if let thread { pthread_join(thread, nil) }
    }

    /// Starts the capture thread. Call once.
    public func start() {
        guard thread == nil else { return }
        if worker.queue.isStopRequested {
            worker.queue.finish(error: nil)
            return
        }
        var created = pthread_t()
        let argument = Unmanaged.passRetained(worker).toOpaque()
        let status = pthread_create(
            &created, nil,
            { argument in
                guard let argument else { return nil }
                let worker = Unmanaged<CaptureWorker>.fromOpaque(argument).takeRetainedValue()
                worker.run()
                return nil
            }, argument)
        if status != 0 {
            Unmanaged<CaptureWorker>.fromOpaque(argument).release()
            // No thread: run nothing, report the failure as the end of the capture.
            worker.queue.finish(error: CaptureError(interface, "can't start the capture thread (error \(status))"))
            return
        }
        thread = created
    }

    /// The next batch of packets, waiting at most `timeoutNanoseconds`; `.ended` once the capture has stopped and
    /// everything captured was delivered.
    public func nextBatch(timeoutNanoseconds: Int64) -> BatchWait {
        worker.queue.pop(timeoutNanoseconds: timeoutNanoseconds)
    }

    /// Gives a batch back once its packets are processed (its bytes are invalid from here on).
    public func recycle(_ batch: PacketBatch) {
        worker.queue.recycle(batch)
    }

    /// Asks the capture to stop: the capture thread leaves `pcap_dispatch`, hands over what it holds and ends.
    /// Keep taking batches until `.ended`. Callable from any thread.
    public func stop() {
        stopHandle.stop()
    }

    /// Something another thread (a signal watcher, a timer) can keep to stop the capture.
    public var stopHandle: LiveCaptureStopHandle { LiveCaptureStopHandle(worker: worker) }

    /// Counters so far (libpcap's are refreshed about once a second, and once more at the end).
    public var statistics: LiveCaptureStatistics { worker.queue.currentStatistics }

    /// The error that ended the capture early (the interface went away), if any.
    public var failure: CaptureError? { worker.queue.currentFailure }

    // MARK: - Messages

    /// The reason for a failed `pcap_activate`, one line.
    static func describeActivation(_ status: Int32, handle: OpaquePointer, interface: String) -> String {
        let text = clean(CaptureFile.string(pcap_geterr(handle)), interface: interface)
        switch status {
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return "no such interface"
        case PCAP_ERROR_PERM_DENIED:
            return "permission denied: capturing needs root or CAP_NET_RAW (and CAP_NET_ADMIN)"
        case PCAP_ERROR_PROMISC_PERM_DENIED:
            return "permission denied for promiscuous mode: capturing needs root or CAP_NET_RAW (and CAP_NET_ADMIN)"
        case PCAP_ERROR_IFACE_NOT_UP:
            return "interface is down"
        default:
            return text.isEmpty ? pcapStatusText(status) : text
        }
    }

    static func pcapStatusText(_ status: Int32) -> String {
        guard let text = pcap_statustostr(status) else { return "libpcap error \(status)" }
        return String(cString: text)
    }

    /// libpcap's text without a repeated `interface:` prefix.
    static func clean(_ text: String, interface: String) -> String {
        var result = Substring(text)
        if result.hasPrefix(interface + ": ") { result = result.dropFirst(interface.count + 2) }
        return CaptureError.oneLine(String(result))
    }
}

/// Stops a `LiveCapture` from any thread.
public struct LiveCaptureStopHandle: Sendable {
    fileprivate let worker: CaptureWorker

    /// Asks the capture to stop (`pcap_breakloop`); harmless when it has stopped already.
    public func stop() {
        if worker.queue.requestStop() { worker.breakLoop() }
    }
}

/// The capture thread's side: the libpcap handle, the batch being filled, the queue.
///
/// Why `@unchecked Sendable` is safe: after `init`, `handle`, `current` and the counters are touched only by the
/// capture thread (inside `run` and libpcap's callback), except `pcap_breakloop`, which libpcap documents as
/// callable from another thread. The queue is itself thread-safe. The handle is closed in `deinit`, when neither the
/// capture thread nor a `LiveCapture` or stop handle holds the worker any more.
final class CaptureWorker: @unchecked Sendable {
    let handle: OpaquePointer
    let queue: BatchQueue
    private let linkType: LinkType
    private let nanosecond: Bool
    private let maxPackets: Int
    private let byteCapacity: Int
    private var current: PacketBatch
    private var packets: UInt64 = 0
    private var bytes: UInt64 = 0
    private var oversized: UInt64 = 0
    /// libpcap's counters are 32-bit and wrap (after 4 G packets); they are read at least once a second and
    /// accumulated here in 64 bits.
    private var lastRaw: (UInt32, UInt32, UInt32) = (0, 0, 0)
    private var totals: (UInt64, UInt64, UInt64) = (0, 0, 0)

    init(
        handle: OpaquePointer, linkType: LinkType, nanosecond: Bool, maxPackets: Int, byteCapacity: Int,
        queue: BatchQueue
    ) {
        self.handle = handle
        self.linkType = linkType
        self.nanosecond = nanosecond
        self.maxPackets = maxPackets
        self.byteCapacity = byteCapacity
        self.queue = queue
        current = PacketBatch(linkType: linkType, maxPackets: maxPackets, byteCapacity: byteCapacity)
    }

    deinit {
        pcap_close(handle)
    }

    func breakLoop() {
        pcap_breakloop(handle)
    }

    private func makeBatch() -> PacketBatch {
        PacketBatch(linkType: linkType, maxPackets: maxPackets, byteCapacity: byteCapacity)
    }

    /// The capture thread's loop.
    func run() {
        // Signals are for the other threads: a SIGINT must reach the process's handler, not interrupt libpcap here.
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGINT)
        sigaddset(&blocked, SIGTERM)
        sigaddset(&blocked, SIGHUP)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)

        let context = UnsafeMutableRawPointer(Unmanaged.passUnretained(self).toOpaque())
            .assumingMemoryBound(to: UInt8.self)
        var error: CaptureError?
        var lastStats = monotonicNanoseconds()
        while !queue.isStopRequested {
            let status = pcap_dispatch(handle, -1, { user, header, data in
                guard let user, let header else { return }
                let worker = Unmanaged<CaptureWorker>.fromOpaque(UnsafeRawPointer(user)).takeUnretainedValue()
                worker.add(header, data)
            }, context)
            if status == PCAP_ERROR_BREAK { break }
            if status < 0 {
                error = CaptureError(message: "capture stopped: " + CaptureFile.string(pcap_geterr(handle)))
                break
            }
            // What libpcap handed over in this call goes on now: a busy link fills batches in the callback, a quiet
            // one still sees its packets within the timeout.
            if !current.isEmpty { current = queue.handOff(current, makeBatch: makeBatch) }
            let now = monotonicNanoseconds()
            if now - lastStats >= 1_000_000_000 {
                lastStats = now
                publishCounters()
            }
        }
        if !current.isEmpty { current = queue.handOff(current, makeBatch: makeBatch) }
        publishCounters()
        queue.finish(error: error)
    }

    /// libpcap's callback: copies one packet into the current batch.
    private func add(_ header: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>?) {
        let raw = header.pointee
        let length = Int(raw.caplen)
        if current.tooLarge(length) {
            oversized += 1
            return
        }
        if !current.hasRoom(for: length) {
            current = queue.handOff(current, makeBatch: makeBatch)
        }
        let fraction = Int64(raw.ts.tv_usec)
        let time = Timestamp(seconds: Int64(raw.ts.tv_sec), nanoseconds: nanosecond ? fraction : fraction * 1000)
        current.append(time: time, capturedLength: length, wireLength: Int(raw.len), bytes: UnsafeRawPointer(data))
        packets += 1
        bytes += UInt64(length)
    }

    private func publishCounters() {
        queue.noteCaptured(packets: packets, bytes: bytes, oversized: oversized)
        packets = 0
        bytes = 0
        oversized = 0
        var stats = pcap_stat()
        if pcap_stats(handle, &stats) == 0 {
            let raw = (UInt32(truncatingIfNeeded: stats.ps_recv), UInt32(truncatingIfNeeded: stats.ps_drop),
                UInt32(truncatingIfNeeded: stats.ps_ifdrop))
            totals.0 &+= UInt64(raw.0 &- lastRaw.0)
            totals.1 &+= UInt64(raw.1 &- lastRaw.1)
            totals.2 &+= UInt64(raw.2 &- lastRaw.2)
            lastRaw = raw
            queue.noteLibpcap(received: totals.0, dropped: totals.1, interfaceDropped: totals.2)
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
