import Glibc
import NetworkTypes
import PacketCapture
import PacketDecoding

/// The reader thread of a threaded offline analysis: reads the captures through libpcap (and gzip), decodes each
/// packet, and hands the results to the analysis thread in reused `DecodedBatch`es over a bounded `HandOffQueue`
/// (DESIGN.md, "With several threads"). Reading, decompressing and decoding thus overlap the analysis, which sees
/// exactly the packets, in exactly the order, of the one-thread loop, so its output is the same.
///
/// Why `@unchecked Sendable` is safe: `captures` and `failure` are touched only by the reader thread between
/// `start()` and `join()`, and by the caller's thread only before `start()` and after `join()` (thread creation and
/// `pthread_join` order those accesses); the queue is itself thread-safe.
final class CaptureReader: @unchecked Sendable {
    /// Batches: 1024 packets or 1 MiB, and four queued: the hand-over holds a few MiB whatever the capture's size.
    static let batchPackets = 1024
    static let batchBytes = 1 << 20
    static let depth = 4

    let queue = HandOffQueue<DecodedBatch>(capacity: CaptureReader.depth, wakeAt: 2)
    private let captures: CaptureSet
    private var thread: pthread_t?
    /// The error that ended reading early, if any: read it after `join()`.
    private(set) var failure: CaptureError?

    init(captures: CaptureSet) {
        self.captures = captures
    }

    /// Starts the reader thread. False when no thread could be made (the caller then reads on its own thread).
    func start() -> Bool {
        thread = startThread { self.run() }
        return thread != nil
    }

    /// Waits for the reader thread to end. Call after `take()` gave nil, or after `queue.abandon()`.
    func join() {
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private static func makeBatch() -> DecodedBatch {
        DecodedBatch(maxPackets: batchPackets, byteCapacity: batchBytes)
    }

    private func run() {
        var batch = Self.makeBatch()
        // The batch being filled, lent to the per-packet closure without a retain/release per packet (`batch` owns
        // it; the two change together).
        var current = Unmanaged.passUnretained(batch)
        var stopped = false
        while !stopped {
            let more: Bool
            do {
                more = try captures.next { header, linkType, packet in
                    let decoded = PacketDecoder(linkType: linkType).decode(packet)
                    let copy = DecodedBatch.keepsBytes(of: decoded)
                    let full = current._withUnsafeGuaranteedRef { $0.isEmpty ? false : !$0.hasRoom(for: copy ? packet.count : 0) }
                    if full {
                        guard let next = queue.put(batch, make: Self.makeBatch) else {
                            stopped = true
                            return
                        }
                        batch = next
                        current = Unmanaged.passUnretained(next)
                    }
                    current._withUnsafeGuaranteedRef {
                        $0.append(
                            decoded, bytes: packet, copy: copy, capturedLength: header.capturedLength, time: header.time,
                            linkType: linkType)
                    }
                }
            } catch {
                failure = error
                more = false
            }
            if !more { break }
        }
        if !stopped && !batch.isEmpty { _ = queue.put(batch, make: Self.makeBatch) }
        queue.finish()
    }
}
