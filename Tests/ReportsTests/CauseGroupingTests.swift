import FTPProtocol
import NetworkTypes
import Testing

@testable import FTPAnalysis
@testable import Reports

/// Failed data connections are grouped by their typed cause: one line with the count and the endpoints, the
/// cause and its fix said once, and the transfer lines refer to it.
@Suite struct CauseGroupingTests {
    static let start = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)
    static let client = IPAddress.v4(0xC000_0201)
    static let server = IPAddress.v4(0xC000_0215)

    /// The verdict of an active transfer to a private address behind NAT that got no answer.
    static func natVerdict(port: UInt16, command: FTPVerb, syns: Int) -> DataVerdict {
        var evidence = DataEvidence()
        evidence.synAttempts = syns
        evidence.announced = Endpoint(address: .v4(0x0A00_0002), port: port)
        evidence.mode = .active
        evidence.announcementVerb = .port
        evidence.client = client
        evidence.server = server
        evidence.announcedAddress = .behindNAT
        evidence.command = command
        return DataVerdict(status: .unanswered, cause: .natWithoutALG, evidence: evidence)
    }

    static func finding(_ verdict: DataVerdict, session: String, second: Int64) -> Finding {
        let announced = verdict.evidence.announced!
        return Finding(
            kind: .failedDataConnection, severity: .medium, session: session,
            time: start.adding(nanoseconds: second * 1_000_000_000), facts: .failedDataConnection(verdict),
            evidence: [("announced", .string(announced.description))])
    }

    @Test func sameCauseMergesIntoOneLineWithTheEndpointsAndTheFixOnce() {
        let findings = [
            Self.finding(Self.natVerdict(port: 40_000, command: .list, syns: 5), session: "S1", second: 1),
            Self.finding(Self.natVerdict(port: 40_001, command: .retr, syns: 3), session: "S1", second: 2),
            Self.finding(Self.natVerdict(port: 40_002, command: .list, syns: 5), session: "S2", second: 3),
        ]
        let text = TextSummary().renderFindings(findings)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 3)  // heading, the group's line, its explanation
        #expect(
            lines[1]
                == "  [medium] failed_data_connection ×3 (S1–S2): data connections for LIST unanswered, RETR unanswered (10.0.0.2:40000, 10.0.0.2:40001, 10.0.0.2:40002), cause nat_without_alg"
        )
        // The cause and fix, without the per-connection opener (which differs in port and SYNs).
        #expect(lines[2].hasPrefix("           The client announced its private address 10.0.0.2 in PORT"))
        #expect(!text.contains("SYNs unanswered"))
    }

    @Test func anotherCauseIsAnotherLine() {
        var other = Self.natVerdict(port: 40_003, command: .list, syns: 5)
        other.cause = .clientFirewall
        other.evidence.announcedAddress = .own
        other.evidence.announced = Endpoint(address: Self.client, port: 40_003)
        let findings = [
            Self.finding(Self.natVerdict(port: 40_000, command: .list, syns: 5), session: "S1", second: 1),
            Self.finding(other, session: "S1", second: 2),
        ]
        let groups = FindingGroup.make(findings)
        #expect(groups.map(\.cause) == [.natWithoutALG, .clientFirewall])
        #expect(groups.map(\.count) == [1, 1])
    }

    @Test func theWordingSplitsIntoWhatHappenedAndWhy() throws {
        let wording = try #require(CauseWording.wording(of: Self.natVerdict(port: 40_000, command: .list, syns: 1)))
        #expect(wording.opener == "The server's data connection to 10.0.0.2:40000 got no answer (1 SYN unanswered).")
        #expect(wording.facts.isEmpty)
        #expect(wording.why.hasSuffix("Use passive mode (PASV/EPSV), or enable the NAT's FTP helper."))
        #expect(wording.sentence == wording.opener + " " + wording.why)
    }

    @Test func theNATMismatchRefersToTheFailuresItCaused() {
        let mismatch = Finding(
            kind: .natAddressMismatch, severity: .medium, session: "S1", time: Self.start,
            facts: .natAddressMismatch(verb: .port, announced: .v4(0x0A00_0002), client: Self.client))
        let failure = Self.finding(Self.natVerdict(port: 40_000, command: .list, syns: 5), session: "S1", second: 1)
        let text = TextSummary().renderFindings([mismatch, failure])
        #expect(text.contains("client connects from 192.0.2.1, cause nat_without_alg, explained under failed_data_connection\n"))
        #expect(!text.contains("The client sits behind NAT"))
        #expect(text.contains("it is behind NAT that does not rewrite PORT"))
        // Without a failure to explain it, the mismatch explains itself.
        #expect(TextSummary().renderFindings([mismatch]).contains("The client sits behind NAT"))
    }
}
