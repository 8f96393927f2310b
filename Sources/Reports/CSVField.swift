/// RFC 4180 fields for the CSV files ftpscope writes (the timeline and the extraction manifest): what comes from
/// the wire must neither break the record structure nor run in a spreadsheet.
public enum CSVField {
    /// A cell that a spreadsheet would evaluate (it begins with `=`, `+`, `-`, `@`, tab or CR: OWASP's CSV
    /// injection list, SPEC.md) gets a leading `'`, which spreadsheets read as "this is text".
    public static func neutralised(_ text: String) -> String {
        guard let first = text.utf8.first, startsFormula(first) else { return text }
        return "'" + text
    }

    /// True for a first byte that makes a spreadsheet evaluate the cell (`=`, `+`, `-`, `@`, tab, CR).
    public static func startsFormula(_ first: UInt8) -> Bool {
        first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
            || first == UInt8(ascii: "@") || first == 0x09 || first == 0x0D
    }

    /// The bytes that make RFC 4180 quote a field: comma, double quote, CR, LF.
    public static func needsQuoting(_ byte: UInt8) -> Bool {
        byte == 0x2C || byte == 0x22 || byte == 0x0D || byte == 0x0A
    }

    /// The field quoted as RFC 4180 requires: when it holds a comma, a double quote, CR or LF, it is put in
    /// double quotes with its own quotes doubled.
    public static func quoted(_ text: String) -> String {
        guard text.utf8.contains(where: needsQuoting) else { return text }
        var quoted = "\""
        for character in text.unicodeScalars {
            if character == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(character) }
        }
        return quoted + "\""
    }
}
