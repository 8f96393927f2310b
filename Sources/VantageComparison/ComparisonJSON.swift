import FTPScope
import NetworkTypes
import Reports

/// The comparison as one JSON document (SPEC.md, "Comparing vantage points").
public enum ComparisonJSON {
    /// The document, pretty-printed, ending with a newline.
    public static func render(_ result: ComparisonReport) -> String {
        document(result).serialized(pretty: true) + "\n"
    }

    /// The document as a value.
    public static func document(_ result: ComparisonReport) -> JSONValue {
        let labels = result.captures.map(\.label)
        return .object([
            ("version", .string(ftpscopeVersion)),
            (
                "vantages",
                .array(result.captures.map { .object([("label", .string($0.label)), ("path", .string($0.path))]) })
            ),
            ("pairs", .array(result.groups.map { pair($0, labels: labels) })),
            (
                "unpaired",
                .array(
                    result.unpaired.map {
                        .object([
                            ("label", .string(labels[$0.capture])), ("session", .string($0.session)),
                            ("client", .string($0.client.description)), ("server", .string($0.server.description)),
                        ])
                    })
            ),
        ])
    }

    static func pair(_ group: SessionGroup, labels: [String]) -> JSONValue {
        let present = group.sessions.indices.filter { group.sessions[$0] != nil }
        func byLabel(_ value: (Int) -> JSONValue?) -> JSONValue {
            .object(present.compactMap { index in value(index).map { (labels[index], $0) } })
        }
        let offsets = present.compactMap { group.clockOffsets[$0] }
        // Between the first two capture points that saw the session: the second's clock minus the first's.
        let offset: JSONValue = offsets.count >= 2 ? .double(milliseconds(offsets[1] - offsets[0])) : .null
        return .object([
            ("sessions", byLabel { group.sessions[$0].map { .string($0.id) } }),
            ("clock_offset_ms", offset),
            ("clock_offsets_ms", byLabel { group.clockOffsets[$0].map { .double(milliseconds($0)) } }),
            (
                "translations",
                .array([
                    byLabel { group.sessions[$0].map { .string($0.client.description) } },
                    byLabel { group.sessions[$0].map { .string($0.server.description) } },
                ])
            ),
            ("transfers", .array(group.transfers.map { transfer($0, labels: labels) })),
        ])
    }

    static func transfer(_ transfer: ComparedTransfer, labels: [String]) -> JSONValue {
        let present = transfer.views.indices.filter { transfer.views[$0] != nil }
        func byLabel(_ value: (TransferSnapshot) -> JSONValue) -> JSONValue {
            .object(present.map { (labels[$0], value(transfer.views[$0]!)) })
        }
        let lost: JSONValue =
            transfer.lostBetween.map { .array([.string(labels[$0.seenAt]), .string(labels[$0.missingAt])]) } ?? .null
        return .object([
            ("command", .optional(transfer.command?.name)),
            ("argument", .optional(transfer.argument)),
            ("mode", .optional(transfer.mode?.rawValue)),
            ("announced", byLabel { .optional($0.announced?.description) }),
            ("status", byLabel { .string($0.status.rawValue) }),
            ("rewritten", transfer.rewritten.map { .bool($0) } ?? .null),
            ("lost_between", lost),
            ("cause", .optional(transfer.cause?.rawValue)),
            ("detail", .optional(transfer.detail)),
            ("announcement", byLabel { .optional($0.announcementText) }),
            ("syn_attempts", byLabel { .int(Int64($0.connection?.syns ?? 0)) }),
            ("lost_packet", .optional(transfer.lostPacket?.rawValue)),
        ])
    }

    static func milliseconds(_ nanoseconds: Int64) -> Double { Double(nanoseconds) / 1_000_000 }
}
