/// RFC 4180 fields for the CSV files ftpscope writes (the timeline and the extraction manifest): what comes from
/// the wire must neither break the record structure nor run in a spreadsheet.
public enum CSVField {
    /// A cell that a spreadsheet would evaluate (it begins with `=`, `+`, `-`, `@`, tab or CR: OWASP's CSV
    /// injection list, SPEC.md) gets a leading `'`, which spreadsheets read as "this is text".
    public static func neutralised(_ text: String) -> String {
        guard let first = text.utf8.first else { return text }
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D: return "'" + text
        default: return text
        }
    }

    /// The field quoted as RFC 4180 requires: when it holds a comma, a double quote, CR or LF, it is put in
    /// double quotes with its own quotes doubled.
    public static func quoted(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else { return text }
        var quoted = "\""
        for character in text.unicodeScalars {
            if character == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(character) }
        }
        return quoted + "\""
    }
}
