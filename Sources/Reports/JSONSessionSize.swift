import FTPAnalysis

/// About how many bytes a session will take in the streamed JSON document, told before it is written so that
/// its buffer can be the right size (`JSONDocumentStreamSink`).
///
/// Each session is written into a block of `JSONBytesPool` and handed over whole; most sessions end after a later
/// one began and are held back for the document's order in that block, so a block far larger than its session
/// is memory held for nothing, and one too small grows (a `realloc`, often a copy). A block sized to the session
/// avoids both.
///
/// A session's bytes follow its commands and transfers closely: on the control-heavy benchmark, about 296 bytes
/// a command, 938 a transfer and 596 more, within ±20 % for every session. That shape is scaled by what the
/// sessions written so far took (narrowing, long replies, a deeper indentation change it). A wrong guess costs
/// a block larger than needed, or one that grows.
struct SessionSize {
    /// Bytes of the sessions written so far and what the shape predicted for them, each starting from one
    /// typical session so that the first guesses are the shape's.
    private var writtenBytes = 13_000.0
    private var predictedBytes = 13_000.0

    /// The shape's prediction for `session`.
    private static func predicted(_ session: FTPSession) -> Double {
        296 * Double(session.commands.count) + 938 * Double(session.transfers.count) + 596
    }

    /// Bytes to make room for `session`: the prediction scaled, with a tenth more (the pool rounds it up to one
    /// of its sizes, a quarter more at most). On c01 (the first 200 k packets of the control-heavy capture) no
    /// session outgrew its block, and the blocks of all sessions came to 25.7 MB for 20.9 MB of JSON; with a third
    /// more in whole pages, as when the room was the size of one reused buffer, 31.6 MB.
    func room(for session: FTPSession) -> Int {
        let expected = Self.predicted(session) * writtenBytes / predictedBytes
        return max(4096, Int(min(expected * 1.1, 1e12)))
    }

    /// Takes in what `session` took.
    mutating func learn(_ session: FTPSession, bytes: Int) {
        guard bytes > 0 else { return }  // narrowed out
        writtenBytes += Double(bytes)
        predictedBytes += Self.predicted(session)
    }
}
