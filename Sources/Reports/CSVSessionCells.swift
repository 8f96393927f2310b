import FTPAnalysis
import NetworkTypes

/// CSV cells a session's rows repeat, made once and copied as plain words: no reference counting, no checks of
/// the text, no cache lookups. `Words` is a tuple of `UInt64`s; the cells are kept only when they fit it.
struct CSVCellWords<Words: BitwiseCopyable> {
    private var words: Words
    /// Bytes of the cells; 0 when they did not fit (the caller then writes them as it would without them).
    private(set) var count = 0

    /// No cells.
    init(zero: Words) { words = zero }

    /// The bytes `out` holds, when they fit.
    init(zero: Words, _ out: RowBytes) {
        words = zero
        guard out.count <= MemoryLayout<Words>.size, let base = out.bytes.baseAddress else { return }
        withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: base, byteCount: out.count) }
        count = out.count
    }

    /// Appends the cells to `out`: all the words are stored (room is made for them) and `count` bytes kept.
    @inline(__always)
    func write(into out: RowBytes) {
        let position = UnsafeMutableRawPointer(out.reserve(MemoryLayout<Words>.size))
        position.storeBytes(of: words, as: Words.self)
        out.advance(by: count)
    }
}

typealias Words4 = (UInt64, UInt64, UInt64, UInt64)
typealias Words16 = (
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
    UInt64, UInt64
)

/// The cells of a session's rows that the session alone decides: its id's cell, the control connection's two
/// endpoints' cells, the Community ID's cell, and the cell of the user known so far, each with its comma.
/// `TimelineRowBuilder.encodeCSV` copies them into the rows it writes.
struct CSVSessionCells {
    private static let zero4: Words4 = (0, 0, 0, 0)
    private static let zero16: Words16 = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    /// `,S12`.
    var id = CSVCellWords(zero: zero4)
    /// `,client,server`, as `EndpointPairText` writes them.
    var endpoints = CSVCellWords(zero: zero16)
    /// `,` and the Community ID.
    var communityID = CSVCellWords(zero: zero4)
    /// `,` and the user (see `TimelineRowBuilder.SessionFacts.user`); none while there is no user.
    var user = CSVCellWords(zero: zero4)

    init() {}

    /// The cells of a session, written by the CSV writer's own cell writers into `scratch`.
    init(id: String, client: Endpoint, server: Endpoint, communityID: String, scratch: RowBytes) {
        scratch.removeAll()
        CSVTimelineWriter.textCell(id, scratch)
        self.id = CSVCellWords(zero: Self.zero4, scratch)
        // What `EndpointPairText` writes: each endpoint's text after a comma.
        scratch.removeAll()
        scratch.append(UInt8(ascii: ","))
        scratch.append(client, cache: nil)
        scratch.append(UInt8(ascii: ","))
        scratch.append(server, cache: nil)
        endpoints = CSVCellWords(zero: Self.zero16, scratch)
        scratch.removeAll()
        CSVTimelineWriter.textCell(communityID, scratch)
        self.communityID = CSVCellWords(zero: Self.zero4, scratch)
    }

    /// Remakes the user's cell after the user changed.
    mutating func setUser(_ user: String?, scratch: RowBytes) {
        guard let user else {
            self.user = CSVCellWords(zero: Self.zero4)
            return
        }
        scratch.removeAll()
        CSVTimelineWriter.textCell(user, scratch)
        self.user = CSVCellWords(zero: Self.zero4, scratch)
    }
}
