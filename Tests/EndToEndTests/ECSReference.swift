import Foundation
import NetworkTypes

/// The Elastic Common Schema reference of `../shared/ecs`: every ECS 9 field with its type, and the allowed
/// categorisation values (ECS's own generated files, not our reading of them).
struct ECSReference {
    /// Field name → ECS type (`keyword`, `long`, `ip`, `date`, …).
    let types: [String: String]
    /// Field name → normalisation (`array` when ECS expects a list).
    let normalization: [String: String]
    let kinds: Set<String>
    let outcomes: Set<String>
    let eventTypes: Set<String>
    /// Category → the event types ECS expects with it.
    let categories: [String: Set<String>]

    static let directory: URL? = {
        let candidates = [
            Paths.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/ecs"),
            URL(fileURLWithPath: "/work/shared/ecs"),
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("fields.csv").path) }
    }()

    struct Missing: Error, CustomStringConvertible {
        var description: String { "the ECS reference (../shared/ecs/fields.csv, allowed-values.json) is missing" }
    }

    static func load() throws -> ECSReference {
        guard let directory else { throw Missing() }
        let csv = try String(contentsOf: directory.appendingPathComponent("fields.csv"), encoding: .utf8)
        let records = parseCSV(csv)
        guard let header = records.first, let field = header.firstIndex(of: "Field"),
            let type = header.firstIndex(of: "Type"), let normalization = header.firstIndex(of: "Normalization")
        else { throw Missing() }
        var types: [String: String] = [:]
        var normalizations: [String: String] = [:]
        for record in records.dropFirst() where record.count > max(field, type, normalization) {
            types[record[field]] = record[type]
            normalizations[record[field]] = record[normalization]
        }
        let data = try Data(contentsOf: directory.appendingPathComponent("allowed-values.json"))
        let allowed = try JSONSerialization.jsonObject(with: data) as? [String: [String: [String]]] ?? [:]
        return ECSReference(
            types: types, normalization: normalizations, kinds: Set(allowed["event.kind"]?.keys ?? [:].keys),
            outcomes: Set(allowed["event.outcome"]?.keys ?? [:].keys),
            eventTypes: Set(allowed["event.type"]?.keys ?? [:].keys),
            categories: (allowed["event.category"] ?? [:]).mapValues(Set.init))
    }

    /// RFC 4180 records (quoted fields may hold commas, quotes and newlines, as ECS's descriptions do).
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var iterator = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"": quoted = true
            case ",":
                record.append(field)
                field = ""
            case "\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
            case "\r": break
            default: field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }

    /// Problems with one document: unknown fields outside `ftp.`, wrong types, categorisation outside ECS's
    /// allowed values, required fields missing.
    func problems(in document: ParsedJSON) -> [String] {
        var problems: [String] = []
        let flat = document.flattened()
        for (name, value) in flat where !name.hasPrefix("ftp.") {
            guard let type = types[name] else {
                problems.append("\(name) is not an ECS field")
                continue
            }
            let values: [ParsedJSON]
            if case .array(let array) = value {
                if normalization[name] != "array" { problems.append("\(name) is a list, ECS expects one value") }
                values = array
            } else {
                values = [value]
            }
            for element in values where !element.fits(ecsType: type) {
                problems.append("\(name) = \(element) is not of ECS type \(type)")
            }
        }
        let required = [
            "@timestamp", "event.kind", "event.category", "event.type", "event.action", "source.ip", "source.port",
            "destination.ip", "destination.port", "network.transport", "network.community_id",
        ]
        for name in required where flat[name] == nil { problems.append("\(name) missing") }
        if case .string(let kind)? = flat["event.kind"], !kinds.contains(kind) { problems.append("event.kind \(kind)") }
        if case .string(let outcome)? = flat["event.outcome"], !outcomes.contains(outcome) {
            problems.append("event.outcome \(outcome)")
        }
        let eventCategories = flat["event.category"]?.strings ?? []
        let eventTypesHere = flat["event.type"]?.strings ?? []
        if eventCategories.isEmpty || eventTypesHere.isEmpty { problems.append("event.category/type empty") }
        for type in eventTypesHere where !eventTypes.contains(type) { problems.append("event.type \(type)") }
        for category in eventCategories {
            guard let expected = categories[category] else {
                problems.append("event.category \(category)")
                continue
            }
            for type in eventTypesHere where !expected.contains(type) {
                problems.append("event.type \(type) is not expected with event.category \(category)")
            }
        }
        return problems
    }
}

/// JSON as parsed from our output, keeping booleans, integers and other numbers apart (ECS types differ).
indirect enum ParsedJSON: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([ParsedJSON])
    case object([String: ParsedJSON])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ParsedJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ParsedJSON].self))
        }
    }

    static func parse(_ line: String) throws -> ParsedJSON {
        try JSONDecoder().decode(ParsedJSON.self, from: Data(line.utf8))
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .integer(let value): return "\(value)"
        case .number(let value): return "\(value)"
        case .string(let value): return "\"\(value)\""
        case .array(let values): return "\(values)"
        case .object(let members): return "\(members)"
        }
    }

    var strings: [String]? {
        switch self {
        case .string(let value): return [value]
        case .array(let values): return values.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        default: return nil
        }
    }

    subscript(path: String) -> ParsedJSON? { flattened()[path] }

    /// Nested objects as dotted names (`event.outcome`), as Elasticsearch indexes them.
    func flattened(prefix: String = "") -> [String: ParsedJSON] {
        guard case .object(let members) = self else { return prefix.isEmpty ? [:] : [prefix: self] }
        var flat: [String: ParsedJSON] = [:]
        for (key, value) in members {
            let name = prefix.isEmpty ? key : prefix + "." + key
            if case .object = value {
                flat.merge(value.flattened(prefix: name)) { $1 }
            } else {
                flat[name] = value
            }
        }
        return flat
    }

    func fits(ecsType type: String) -> Bool {
        switch (type, self) {
        case ("keyword", .string), ("constant_keyword", .string), ("wildcard", .string), ("match_only_text", .string),
            ("text", .string), ("long", .integer), ("integer", .integer), ("float", .integer), ("float", .number),
            ("double", .integer), ("double", .number), ("scaled_float", .integer), ("scaled_float", .number),
            ("boolean", .bool):
            return true
        case ("ip", .string(let text)):
            return IPAddress(text) != nil
        case ("date", .string(let text)):
            return text.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"#, options: .regularExpression) != nil
        default:
            return false
        }
    }
}
