#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import TestSupport
import Testing

@testable import Reports

/// Temporary files that misbehave, standing in for `tmpfile(3)`.
enum SpoolFiles {
    /// A file the spool can't write (opened for reading only): every `pwrite` fails, like a full disk.
    static func unwritable() -> UnsafeMutablePointer<FILE>? { fopen("/dev/null", "r") }

    /// A file the spool can write but not read back (opened for writing only), already unlinked.
    static func unreadable() -> UnsafeMutablePointer<FILE>? {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-spool-\(UUID())").path
        let file = fopen(path, "w")
        unlink(path)
        return file
    }
}

/// The index spool gives back every entry in order, whatever the budget (one run, a few, many runs merged in
/// passes), and as often as asked.
@Suite struct SortingSpoolTests {
    struct Entry: Comparable, BitwiseCopyable {
        var key: UInt32
        var arrival: UInt64

        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.key, lhs.arrival) < (rhs.key, rhs.arrival) }
    }

    static func entries(_ count: Int, seed: UInt64) -> [Entry] {
        var generator = SplitMix64(seed: seed)
        // Keys repeat (ties broken by arrival) and arrive mostly rising, some far behind, as findings do.
        return (0..<count).map { index in
            let late = generator.below(5) == 0 ? generator.below(1_000) : 0
            return Entry(key: UInt32(max(0, index / 3 - late)), arrival: UInt64(index))
        }
    }

    @Test(arguments: [16, 64, 1_000, 8_192, 1 << 22])
    func entriesComeBackInOrder(budget: Int) {
        for count in [0, 1, 2, 3, 500, 20_000] {
            let spool = SortingSpool<Entry>(memoryBudget: budget)
            let entries = Self.entries(count, seed: UInt64(count))
            for entry in entries { spool.append(entry) }
            #expect(spool.count == count)
            for _ in 0..<2 {
                var back: [Entry] = []
                spool.forEachSorted { back.append($0) }
                #expect(back == entries.sorted(), "budget \(budget), \(count) entries")
            }
            #expect(spool.failure == nil)
            let capacity = max(1, budget / MemoryLayout<Entry>.stride)
            // A run per `capacity` entries, then, with more runs than merge at once, runs of runs.
            let runs = count > capacity ? (count + capacity - 1) / capacity : 0
            #expect(runs == 0 ? spool.runsWritten == 0 : spool.runsWritten >= runs, "budget \(budget), \(count) entries")
            if runs > spool.fanIn { #expect(spool.runsWritten > runs, "merged in passes") }
        }
    }

    /// No temporary file, or one that refuses every write: the entries stay in memory, none is lost, and that
    /// is no failure of the output.
    @Test(arguments: [false, true])
    func entriesStayInMemoryWithoutAFile(fileRefusesWrites: Bool) {
        var attempts = 0
        let spool = SortingSpool<Entry>(memoryBudget: 64) {
            attempts += 1
            return fileRefusesWrites ? SpoolFiles.unwritable() : nil
        }
        let entries = Self.entries(3_000, seed: 7)
        for entry in entries { spool.append(entry) }
        var back: [Entry] = []
        spool.forEachSorted { back.append($0) }
        #expect(back == entries.sorted())
        #expect(attempts == 1)
        #expect(spool.runsWritten == 0)
        #expect(spool.failure == nil)
    }

    /// Runs that can't be read back: the entries read come out in order, the rest are missing, and the failure
    /// says so in one line.
    @Test func aRunNotReadBackIsAFailure() {
        let spool = SortingSpool<Entry>(memoryBudget: 64, makeFile: SpoolFiles.unreadable)
        let entries = Self.entries(300, seed: 9)
        for entry in entries { spool.append(entry) }
        var back: [Entry] = []
        spool.forEachSorted { back.append($0) }
        #expect(spool.runsWritten > 0)
        #expect(back.count < entries.count)
        #expect(back == back.sorted())
        let message = spool.failure?.message ?? ""
        #expect(message.hasPrefix("index spool (temporary file): "), "\(message)")
        #expect(!message.contains("\n"))
    }
}

/// The record spool gives back each record as stored, in any order, from the file or the block not yet written.
@Suite struct RecordSpoolTests {
    static func records(seed: UInt64) -> [[UInt8]] {
        var generator = SplitMix64(seed: seed)
        // Mostly small, some past the 64 KiB block, some empty.
        return (0..<2_000).map { index in
            let count = index % 400 == 7 ? 70_000 + generator.below(10_000) : generator.below(300)
            return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
    }

    @Test(arguments: ["file", "none", "unwritable"])
    func recordsComeBackAsStored(file: String) {
        let spool = RecordSpool {
            switch file {
            case "none": return nil
            case "unwritable": return SpoolFiles.unwritable()
            default: return tmpfile()
            }
        }
        let records = Self.records(seed: 3)
        let places = records.map { bytes in bytes.withUnsafeBytes { spool.append($0) } }
        #expect(places.map(\.offset) == places.map(\.offset).sorted())
        var generator = SplitMix64(seed: 4)
        for index in records.indices.shuffled(using: &generator) {
            #expect(spool.read(places[index]) == records[index], "record \(index)")
        }
        #expect(spool.failure == nil)
    }

    /// `readBack` gives every record's bytes in the order asked, whatever that order, with records larger than a
    /// chunk, empty ones, ones still in memory and ones asked twice; and as `read(_:)` gives them.
    @Test(arguments: ["file", "none", "unwritable"], ["shuffled", "nearlySorted", "reversed"])
    func readBackGivesTheAskedOrder(file: String, order: String) {
        let spool = RecordSpool {
            switch file {
            case "none": return nil
            case "unwritable": return SpoolFiles.unwritable()
            default: return tmpfile()
            }
        }
        var records = Self.records(seed: 7)
        // Past a chunk (1 MiB) in one record, and a run of records in the memory block at the end.
        records.append(Array(repeating: 0x5A, count: SpoolReadBackLimits.chunkBytes + 3))
        records += Self.records(seed: 8).prefix(40)
        let places = records.map { bytes in bytes.withUnsafeBytes { spool.append($0) } }
        var generator = SplitMix64(seed: 9)
        var asked: [Int]
        switch order {
        case "reversed": asked = Array(records.indices.reversed())
        case "nearlySorted":
            // As findings come: mostly in place, some from up to a thousand records back.
            asked = Array(records.indices)
            for index in asked.indices where generator.below(4) == 0 {
                asked.swapAt(index, max(0, index - Int(generator.below(1_000))))
            }
        default: asked = records.indices.shuffled(using: &generator)
        }
        asked += asked.prefix(25)
        var back: [[UInt8]] = []
        spool.readBack({ want in for index in asked { want(places[index]) } }, deliver: { back.append(Array($0)) })
        #expect(back.count == asked.count)
        #expect(back == asked.map { records[$0] })
        #expect(back == asked.map { spool.read(places[$0]) })
        #expect(spool.failure == nil)
    }

    /// Spans join neighbours within the largest gap, keep apart those further, and share the chunk's gap budget.
    @Test func readBackSpansJoinNeighbours() {
        var chunk = SpoolReadBackChunk()
        let gap = SpoolReadBackLimits.largestGapRead
        chunk.records = [
            SpooledRecord(offset: 1_000, length: 100), SpooledRecord(offset: 0, length: 500),
            SpooledRecord(offset: 1_100 + Int64(gap) + 1, length: 10), SpooledRecord(offset: 50, length: 0),
            SpooledRecord(offset: 900_000, length: 20),
        ]
        let (spans, spanOfRecord) = chunk.plan(writtenBytes: 800_000)
        #expect(spans == [
            SpoolReadSpan(offset: 0, length: 1_100, bufferStart: 0),
            SpoolReadSpan(offset: 1_100 + gap + 1, length: 10, bufferStart: 1_100),
        ])
        // The empty record and the one still in memory are read from no span.
        #expect(spanOfRecord == [0, 0, 1, -1, -1])
        chunk.buffer.deallocate()
    }

    /// A record `readBack` cannot get from the file comes short, and the spool says why.
    @Test func readBackFailureIsReported() {
        let spool = RecordSpool(makeFile: SpoolFiles.unreadable)
        let records = Self.records(seed: 5)
        let places = records.map { bytes in bytes.withUnsafeBytes { spool.append($0) } }
        var back: [[UInt8]] = []
        spool.readBack({ want in places.forEach(want) }, deliver: { back.append(Array($0)) })
        #expect(back.count == records.count)
        #expect(zip(back, records).contains { $0.count < $1.count })
        #expect(spool.failure?.message.hasPrefix("spool (temporary file): ") == true)
    }

    @Test func aRecordNotReadBackIsAFailure() {
        let spool = RecordSpool(makeFile: SpoolFiles.unreadable)
        let records = Self.records(seed: 5)
        let places = records.map { bytes in bytes.withUnsafeBytes { spool.append($0) } }
        let first = records.indices.first { !records[$0].isEmpty }!
        #expect(spool.read(places[first]).count < records[first].count)
        #expect(spool.failure?.message.hasPrefix("spool (temporary file): ") == true)
    }
}
