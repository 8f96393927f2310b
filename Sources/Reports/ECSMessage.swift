import NetworkTypes

/// ECS `message` of a timeline row: the row's own explanation where it has one, else what was said and answered
/// (`RETR a.txt completed → 226 Transfer complete.`: the command and argument, the data status, the reply code
/// and the first line of its text).
///
/// Put together as bytes in one temporary buffer and written as one JSON string: joining an array of interpolated
/// strings, after splitting the whole reply text into lines by characters, cost about 13 000 instructions a row.
enum ECSMessage {
    /// Writes `"message": …` into `out`, or nothing when the row has nothing to say.
    static func write(_ row: TimelineRow, argument: String?, replyText: String?, into out: inout JSONWriter) {
        if let detail = row.detail {
            out.key("message")
            out.string(detail)
            return
        }
        let command = row.command
        let status = row.dataStatus?.rawValue
        let code = row.replyCode
        guard command != nil || status != nil || code != nil else { return }
        let arrow = "→ "
        var room = 24 + arrow.utf8.count
        room += (command?.utf8.count ?? 0) + (argument?.utf8.count ?? 0) + (status?.utf8.count ?? 0)
        room += replyText?.utf8.count ?? 0
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { buffer in
            var end = 0
            func put(_ text: String) {
                var text = text
                text.withUTF8 { bytes in
                    guard let base = bytes.baseAddress else { return }
                    (buffer.baseAddress! + end).update(from: base, count: bytes.count)
                    end += bytes.count
                }
            }
            func put(_ byte: UInt8) {
                buffer[end] = byte
                end += 1
            }
            // The parts joined by a space, as `[parts].joined(separator: " ")` would (a part may be empty).
            var parts = 0
            if let command {
                parts += 1
                put(command)
                if let argument {
                    put(UInt8(ascii: " "))
                    put(argument)
                }
            }
            if let status {
                if parts > 0 { put(UInt8(ascii: " ")) }
                parts += 1
                put(status)
            }
            if let code {
                if parts > 0 {
                    put(UInt8(ascii: " "))
                    put(arrow)
                }
                if code < 0 { put(UInt8(ascii: "-")) }
                end += writeDecimal(UInt64(code.magnitude), into: buffer.baseAddress! + end)
                if let replyText {
                    put(UInt8(ascii: " "))
                    var text = replyText
                    text.withUTF8 { bytes in
                        guard let line = firstLine(of: bytes) else { return }
                        (buffer.baseAddress! + end).update(from: bytes.baseAddress! + line.lowerBound, count: line.count)
                        end += line.count
                    }
                }
            }
            out.key("message")
            out.string(utf8: UnsafeBufferPointer(rebasing: buffer[..<end]))
        }
    }

    /// Where the first line of `text` that is not empty lies, as `String.split(separator: "\n").first` finds it
    /// in the same text. A line ends at a LF that is a character of its own: one that no CR comes just before
    /// (CR LF is one character, which that split does not split at).
    static func firstLine(of text: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var start = 0
        var previous: UInt8 = 0
        for index in 0..<text.count {
            let byte = text[index]
            if byte == 0x0A && previous != 0x0D {
                if index != start { return start..<index }
                start = index + 1
            }
            previous = byte
        }
        return start == text.count ? nil : start..<text.count
    }
}
