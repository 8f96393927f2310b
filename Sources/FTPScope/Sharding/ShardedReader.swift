import Glibc
import NetworkTypes
import PacketCapture
import PacketDecoding

/// The reader thread of a sharded analysis: reads and decodes like `CaptureReader`, numbers every packet, sends
/// it to its worker (`ShardRouter`), and marks in every worker's stream where the one-thread loop would sweep
/// (once a second of capture time, at the very packet it would).
///
/// Batches go out in rounds: when any worker's batch is full, every worker gets its batch of the round, empty or
/// not. So each worker hears of every sweep and of how far the capture has got, and the merger can take one
/// batch of results from each worker per round (`ShardMerger`).
final class ShardedReader: ShardFeed, @unchecked Sendable {
    /// Per worker: at most this many packets or bytes in a batch (as `CaptureReader`'s).
    static let batchPackets = 1024
    static let batchBytes = 1 << 20
    /// Rounds queued ahead of each worker.
    static let depth = 4

    /// One queue per worker.
    let queues: [HandOffQueue<DecodedBatch>]
    private let captures: CaptureSet
    private var router: ShardRouter
    private var thread: pthread_t?
    /// Set before the queues finish; read by the workers once their queue is finished.
    private(set) var failure: CaptureError?
    private(set) var lastTime = Timestamp.zero
    /// The end of input is the last packet's time.
    var endTime: Timestamp { lastTime }

    init(captures: CaptureSet, workers: Int, controlPorts: Set<UInt16>) {
        self.captures = captures
        queues = (0..<workers).map { _ in HandOffQueue(capacity: ShardedReader.depth) }
        router = ShardRouter(shards: workers, controlPorts: controlPorts)
    }

    func start() -> Bool {
        thread = startThread { self.run() }
        return thread != nil
    }

    func join() {
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private static func makeBatch() -> DecodedBatch {
        DecodedBatch(maxPackets: batchPackets, byteCapacity: batchBytes)
    }

    private func run() {
        var batches = queues.map { _ in Self.makeBatch() }
        var index: UInt64 = 0
        var bytes: UInt64 = 0
        var clock = Timestamp.zero
        var nextSweep = Timestamp.zero
        var stopped = false
        // Sends every worker its batch of the round.
        func endRound() -> Bool {
            for worker in batches.indices {
                batches[worker].lastIndex = index
                batches[worker].lastBytes = bytes
                guard let next = queues[worker].put(batches[worker], make: Self.makeBatch) else { return false }
                batches[worker] = next
            }
            return true
        }
        while !stopped {
            let more: Bool
            do {
                more = try captures.next { header, linkType, packet in
                    let decoded = PacketDecoder(linkType: linkType).decode(packet)
                    let copy = DecodedBatch.keepsBytes(of: decoded)
                    if header.time > clock { clock = header.time }
                    let worker = router.shard(of: decoded, packet: packet, at: header.time)
                    if !batches[worker].isEmpty && !batches[worker].hasRoom(for: copy ? packet.count : 0) {
                        guard endRound() else {
                            stopped = true
                            return
                        }
                    }
                    index += 1
                    bytes += UInt64(header.capturedLength)
                    batches[worker].append(
                        decoded, bytes: packet, copy: copy, capturedLength: header.capturedLength, time: header.time,
                        linkType: linkType, index: index)
                    if clock >= nextSweep {
                        for batch in batches {
                            batch.ticks.append(
                                DecodedBatch.Tick(
                                    after: batch.entries.count, index: index, time: clock, packets: index, bytes: bytes))
                        }
                        nextSweep = clock.adding(nanoseconds: AnalysisSweep.interval)
                        router.expire(now: clock)
                    }
                }
            } catch {
                failure = error
                more = false
            }
            if !more { break }
        }
        if !stopped { _ = endRound() }
        lastTime = clock
        for queue in queues { queue.finish() }
    }
}
