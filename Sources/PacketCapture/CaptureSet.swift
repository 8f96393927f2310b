import NetworkTypes

/// Several captures read as one stream in time order (a rotated capture set): a k-way merge by
/// timestamp. Each file keeps its read-ahead packet in libpcap's buffer, which stays valid until
/// that file's next read, so nothing is copied. Packets with equal times come in input order;
/// within one file, packets keep the file's order. Files may have different link types: each
/// packet's header says which, and which input it came from (`sourceIndex`).
public final class CaptureSet: PacketSource {
    private let files: [CaptureFile]
    /// The one input when there is only one. `files` owns it for the set's life, so it is read through an unmanaged
    /// reference: through a strong or an `unowned(unsafe)` field it was retained and released around every
    /// packet's callback (two atomic operations per packet).
    private let single: Unmanaged<CaptureFile>?
    /// Indices of files with a packet read ahead, as a binary min-heap on (time, index).
    private var heap: [Int] = []
    private var started = false
    /// The file whose packet was delivered last: it reads ahead again on the next call.
    private var refill: Int?

    /// Opens every path (`-` for standard input, at most once). Throws the first file's error.
    public convenience init(paths: [String]) throws(CaptureError) {
        guard !paths.isEmpty else { throw CaptureError(message: "no capture files given") }
        var files: [CaptureFile] = []
        files.reserveCapacity(paths.count)
        for path in paths {
            files.append(try CaptureFile(path: path))
        }
        self.init(files: files)
    }

    /// Merges files that are already open (read from their current position). A file's
    /// `sourceIndex` becomes its position in `files`.
    public init(files: [CaptureFile]) {
        self.files = files
        single = files.count == 1 ? Unmanaged.passUnretained(files[0]) : nil
        for (index, file) in files.enumerated() { file.sourceIndex = index }
    }

    /// What has been read from each input, in input order.
    public var summaries: [CaptureSummary] { files.map(\.summary) }

    /// The paths, in input order.
    public var paths: [String] { files.map(\.path) }

    /// Reads the packet that comes next in time over all files, and calls `body` with its header,
    /// link type and borrowed bytes (valid only during the call). Returns false when every file is
    /// done. A truncated file ends with a warning in its summary while the others go on; throws for
    /// a file that can't be read on (see `CaptureFile.next`).
    public func next(_ body: (PacketHeader, LinkType, UnsafeRawBufferPointer) -> Void) throws(CaptureError) -> Bool {
        if let single {
            // One input needs no merge: skip the heap (a tenth of the per-packet cost on large captures), and
            // the read-ahead too (`CaptureFile.read`).
            var failure: CaptureError?
            let more = single._withUnsafeGuaranteedRef { file in
                do throws(CaptureError) { return try file.read(body) } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
            return more
        }
        if !started {
            started = true
            for index in files.indices {
                if try files[index].fill() { push(index) }
            }
        }
        if let index = refill {
            refill = nil
            if try files[index].fill() { push(index) }
        }
        while let index = pop() {
            // A filter set after reading began may have dropped the read-ahead packet.
            guard files[index].pendingTime != nil else {
                if try files[index].fill() { push(index) }
                continue
            }
            files[index].consume { header, bytes in body(header, header.linkType, bytes) }
            refill = index
            return true
        }
        return false
    }

    /// `PacketSource`: the next packet in time order; the header carries its link type.
    public func next(_ body: (PacketHeader, UnsafeRawBufferPointer) -> Void) throws(CaptureError) -> Bool {
        try next { header, _, bytes in body(header, bytes) }
    }

    /// Applies a BPF expression to every file (each compiled for its own link type).
    public func setFilter(_ expression: String) throws(CaptureError) {
        for file in files { try file.setFilter(expression) }
    }

    // MARK: - Heap on (pending time, index)

    private func precedes(_ a: Int, _ b: Int) -> Bool {
        let ta = files[a].pendingTime ?? Timestamp(nanoseconds: .min)
        let tb = files[b].pendingTime ?? Timestamp(nanoseconds: .min)
        return ta < tb || (ta == tb && a < b)
    }

    private func push(_ index: Int) {
        heap.append(index)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func pop() -> Int? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count && precedes(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count && precedes(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
