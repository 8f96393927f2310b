import FTPAnalysis

/// About how many bytes a session will take in the streamed JSON document, told before it is written so that
/// its buffer can be the right size (`JSONDocumentStreamSink`).
///
/// Most sessions end after a later one began and are held back for the document's order, in the buffer they
/// were written in, trimmed to their size. A buffer of 64 KiB trimmed to a session of 12 KB was moved to a block
/// of its own (the allocator trims in place only down to half a block): a copy of every held session, 18 M
/// instructions of the output thread on the control-heavy benchmark. A buffer sized to the session is trimmed
/// in place.
///
/// A session's bytes follow its commands and transfers closely: on the control-heavy benchmark, about 296 bytes
/// a command, 938 a transfer and 596 more, within ±20 % for every session. That shape is scaled by what the
/// sessions written so far took (narrowing, long replies, a deeper indentation change it). A wrong guess costs
/// only the copy it was meant to save, or a buffer that grows.
struct SessionSize {
    /// Bytes of the sessions written so far and what the shape predicted for them, each starting from one
    /// typical session so that the first guesses are the shape's.
    private var writtenBytes = 13_000.0
    private var predictedBytes = 13_000.0

    /// The shape's prediction for `session`.
    private static func predicted(_ session: FTPSession) -> Double {
        296 * Double(session.commands.count) + 938 * Double(session.transfers.count) + 596
    }

    /// Buffer bytes for `session`: the prediction scaled, with a third more, in whole pages of 4 KiB (so that
    /// sessions of about the same size keep one buffer).
    func room(for session: FTPSession) -> Int {
        let expected = Self.predicted(session) * writtenBytes / predictedBytes
        let room = min(expected * 4 / 3, 1e12)
        return max(4096, (Int(room) + 4095) & ~4095)
    }

    /// Takes in what `session` took.
    mutating func learn(_ session: FTPSession, bytes: Int) {
        guard bytes > 0 else { return }  // narrowed out
        writtenBytes += Double(bytes)
        predictedBytes += Self.predicted(session)
    }
}
