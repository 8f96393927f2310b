import TestSupport
import NetworkTypes
import PacketDecoding
import TCPReassembly
import Testing

/// A segment to send: a byte range of the original stream, or the FIN after it.
private struct Piece {
    var offset: Int
    var length: Int
    var fin = false
}

/// Cuts `length` bytes into segments of seeded random sizes, then adds overlapping re-segmentations of the same
/// bytes and duplicates, and shuffles everything (Fisher–Yates with the same generator).
private func scramble(length: Int, rng: inout SplitMix64, dropping dropRate: Int = 0) -> [Piece] {
    var pieces: [Piece] = []
    var offset = 0
    while offset < length {
        let size = min(length - offset, 1 + rng.below(300))
        if dropRate == 0 || rng.below(100) >= dropRate { pieces.append(Piece(offset: offset, length: size)) }
        offset += size
    }
    if dropRate == 0 {
        for _ in 0..<rng.below(12) {
            let start = rng.below(length)
            pieces.append(Piece(offset: start, length: min(length - start, 1 + rng.below(400))))
        }
        for _ in 0..<rng.below(12) where !pieces.isEmpty {
            pieces.append(pieces[rng.below(pieces.count)])
        }
    }
    pieces.append(Piece(offset: length, length: 0, fin: true))
    for index in stride(from: pieces.count - 1, to: 0, by: -1) {
        pieces.swapAt(index, rng.below(index + 1))
    }
    return pieces
}

/// Runs one scrambled transfer from the client and returns the harness after `finish`.
private func run(seed: UInt64, dropRate: Int = 0, handling: StreamHandling = .reassemble) -> (Harness, [UInt8]) {
    var rng = SplitMix64(seed: seed)
    let length = 1 + rng.below(6000)
    let data = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    // Every third seed starts just below 2^32 so the stream wraps.
    let isn: UInt32 = seed % 3 == 0 ? UInt32.max - UInt32(rng.below(3000)) : UInt32(truncatingIfNeeded: rng.next())
    let h = Harness(handling: handling)
    h.handshake(client: isn, server: 77)
    for piece in scramble(length: length, rng: &rng, dropping: dropRate) {
        let seq = isn &+ 1 &+ UInt32(piece.offset)
        if piece.fin {
            h.c(seq, ack: 78, [.fin, .ack])
        } else {
            h.c(seq, ack: 78, [.ack, .psh], Array(data[piece.offset..<piece.offset + piece.length]))
        }
    }
    h.finish()
    return (h, data)
}

@Test(arguments: 0..<60 as Range<UInt64>)
func anyPermutationDuplicationOrOverlapYieldsTheOriginal(seed: UInt64) {
    let (h, data) = run(seed: seed)
    let log = h.recorder.log(0, .originator)
    #expect(log.bytes == data)
    #expect(log.gaps.isEmpty)
    #expect(h.connection?.stats(.originator).bytes == UInt64(data.count))
    #expect(h.connection?.stats(.originator).missingBytes == 0)
    #expect(h.reassembler.counters.inconsistentOverlaps == 0)
    #expect(h.reassembler.counters.bufferedBytes == 0)
}

@Test(arguments: 0..<60 as Range<UInt64>)
func lostSegmentsAreAccountedForExactly(seed: UInt64) {
    let (h, data) = run(seed: seed, dropRate: 30)
    let log = h.recorder.log(0, .originator)
    #expect(log.contiguous)
    // Delivered pieces are the original bytes at their reported offsets; pieces and gaps tile the stream.
    var covered = 0
    for piece in log.pieces {
        let start = Int(piece.offset)
        #expect(Array(data[start..<start + piece.bytes.count]) == piece.bytes)
        covered += piece.bytes.count
    }
    let missing = log.gaps.reduce(0) { $0 + Int($1.length) }
    #expect(covered + missing == data.count)
    #expect(log.position == UInt64(data.count))
    let stats = h.connection?.stats(.originator)
    #expect(stats?.bytes == UInt64(covered))
    #expect(stats?.missingBytes == UInt64(missing))
}

@Test(arguments: 0..<30 as Range<UInt64>)
func countOnlyCountsEachByteOnce(seed: UInt64) {
    let (h, data) = run(seed: seed, handling: .countOnly)
    #expect(h.recorder.receivedCalls == 0)
    #expect(h.connection?.stats(.originator).bytes == UInt64(data.count))
    #expect(h.connection?.stats(.originator).missingBytes == 0)
}

@Test(arguments: 0..<30 as Range<UInt64>)
func countOnlyWithLossAccountsExactly(seed: UInt64) {
    let (h, data) = run(seed: seed, dropRate: 30, handling: .countOnly)
    let stats = h.connection?.stats(.originator)
    #expect((stats?.bytes ?? 0) + (stats?.missingBytes ?? 0) == UInt64(data.count))
}

@Test(arguments: 0..<20 as Range<UInt64>)
func tinyCapStillTilesTheStream(seed: UInt64) {
    var rng = SplitMix64(seed: seed ^ 0xABCDEF)
    let length = 2000 + rng.below(4000)
    let data = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let h = Harness(limits: ReassemblyLimits(maxOutOfOrderBytesPerConnection: 600))
    h.handshake(client: 0xFFFF_FF00, server: 1)
    for piece in scramble(length: length, rng: &rng) {
        let seq = 0xFFFF_FF01 &+ UInt32(piece.offset)
        if piece.fin {
            h.c(seq, ack: 2, [.fin, .ack])
        } else {
            h.c(seq, ack: 2, [.ack], Array(data[piece.offset..<piece.offset + piece.length]))
        }
        #expect(h.reassembler.counters.bufferedBytes <= 600)
    }
    h.finish()
    let log = h.recorder.log(0, .originator)
    #expect(log.contiguous)
    for piece in log.pieces {
        let start = Int(piece.offset)
        #expect(Array(data[start..<start + piece.bytes.count]) == piece.bytes)
    }
    #expect(log.position == UInt64(length))
}
