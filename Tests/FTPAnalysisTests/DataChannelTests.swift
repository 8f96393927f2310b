import FTPAnalysis
import NetworkTypes
import TestSupport
import Testing

@Suite struct DataChannelTests {
    /// A session that announces with `announce`/`reply` and then runs `command`, with a data connection.
    func session(
        announce: String, reply: String, command: String = "RETR f", final: String = "226 done",
        data: (Timestamp) -> [(Timestamp, [UInt8])]
    ) -> [(Timestamp, [UInt8])] {
        var control = ConversationBuilder.loggedIn()
        control.clientSends(announce + "\r\n")
        control.serverSends(reply + "\r\n")
        control.clientSends(command + "\r\n")
        control.serverSends("150 opening (100 bytes)\r\n")
        let dataStart = control.time
        control.wait(nanoseconds: 50_000_000)
        control.serverSends(final + "\r\n")
        control.clientSends("QUIT\r\n")
        control.serverSends("221 bye\r\n")
        control.clientFIN()
        return ConversationBuilder.interleave([control.packets, data(dataStart)])
    }

    @Test func passiveTransferCompletes() throws {
        let frames = session(announce: "PASV", reply: "227 Entering Passive Mode (198,51,100,21,195,80).") { time in
            ConversationBuilder.data(
                from: Hosts.client(port: 50_001), to: Hosts.server(port: 50_000), at: time, carrying: 100,
                openerSends: false
            ).packets
        }
        let transfer = try #require(Harness().run(frames).sessions.first?.transfers.first)
        #expect(transfer.mode == .passive)
        #expect(transfer.announced == Hosts.server(port: 50_000))
        #expect(transfer.observed == Hosts.server(port: 50_000))
        #expect(transfer.status == .completed)
        #expect(transfer.bytes == 100)
        #expect(transfer.expectedSize == 100)
    }

    @Test func shortTransferIsIncomplete() throws {
        let frames = session(announce: "PASV", reply: "227 =198,51,100,21,195,80") { time in
            ConversationBuilder.data(
                from: Hosts.client(port: 50_001), to: Hosts.server(port: 50_000), at: time, carrying: 60,
                openerSends: false
            ).packets
        }
        let transfer = try #require(Harness().run(frames).sessions.first?.transfers.first)
        #expect(transfer.status == .incomplete)
    }

    @Test func synBeforeItsAnnouncementIsStillMatched() throws {
        var frames = session(announce: "EPSV", reply: "229 Entering Extended Passive Mode (|||50000|)") { time in
            ConversationBuilder.data(
                from: Hosts.client(port: 50_001), to: Hosts.server(port: 50_000), at: time, carrying: 100,
                openerSends: false
            ).packets
        }
        // Move the data connection's SYN in front of the 229 reply, as a reordering capture would.
        let synIndex = try #require(frames.firstIndex { frame in
            frame.1.count > 47 && frame.1[47] == 0x02 && frame.1[36] == 0xC3 && frame.1[37] == 0x50
        })
        let syn = frames.remove(at: synIndex)
        let replyIndex = try #require(frames.firstIndex { String(decoding: $0.1, as: UTF8.self).contains("229 Entering") })
        frames.insert(syn, at: replyIndex)
        let transfer = try #require(Harness().run(frames).sessions.first?.transfers.first)
        #expect(transfer.mode == .extendedPassive)
        #expect(transfer.status == .completed)
        #expect(transfer.observedConnection?.synAttempts == 1)
    }

    @Test func activeRefusedAndUnanswered() throws {
        let refused = session(
            announce: "PORT 192,0,2,10,195,80", reply: "200 ok", final: "425 Can't open data connection"
        ) { time in
            var data = ConversationBuilder(client: Hosts.server(port: 20), server: Hosts.client(port: 50_000), start: time)
            data.synRefused()
            return data.packets
        }
        let analyzer = Harness().run(refused)
        let transfer = try #require(analyzer.sessions.first?.transfers.first)
        #expect(transfer.status == .refused)
        #expect(transfer.cause == .clientFirewall)
        #expect(transfer.evidence.announcedAddress == .own)
        #expect(analyzer.findings.contains { $0.kind == .failedDataConnection })

        let unanswered = session(
            announce: "EPRT |1|192.0.2.10|50000|", reply: "200 ok", final: "425 Can't open data connection"
        ) { time in
            var data = ConversationBuilder(client: Hosts.server(port: 20), server: Hosts.client(port: 50_000), start: time)
            data.synUnanswered(count: 3)
            return data.packets
        }
        let second = try #require(Harness().run(unanswered).sessions.first?.transfers.first)
        #expect(second.mode == .extendedActive)
        #expect(second.status == .unanswered)
        #expect(second.synAttempts == 3)
    }

    @Test func serverThatNeverConnectsIsNotSeen() throws {
        let frames = session(announce: "PORT 192,0,2,10,195,80", reply: "200 ok", final: "425 no") { _ in [] }
        #expect(try #require(Harness().run(frames).sessions.first?.transfers.first).status == .notSeen)
    }

    @Test func successWithoutTheDataConnectionIsNotCaptured() throws {
        let frames = session(announce: "PASV", reply: "227 (198,51,100,21,195,80)") { _ in [] }
        #expect(try #require(Harness().run(frames).sessions.first?.transfers.first).status == .notCaptured)
    }

    @Test func rejectedAnnouncementIsCommandFailed() throws {
        var control = ConversationBuilder.loggedIn()
        control.clientSends("PORT 10,9,9,9,4,1\r\n")
        control.serverSends("500 Illegal PORT command.\r\n")
        let analyzer = Harness().run(control.packets)
        let transfer = try #require(analyzer.sessions.first?.transfers.first)
        #expect(transfer.status == .commandFailed)
        #expect(analyzer.findings.contains { $0.kind == .natAddressMismatch })
    }

    @Test func thirdPartyPortIsABounce() throws {
        var control = ConversationBuilder.loggedIn()
        control.clientSends("PORT 203,0,113,77,0,25\r\n")
        control.serverSends("200 ok\r\n")
        let analyzer = Harness().run(control.packets)
        #expect(analyzer.findings.contains { $0.kind == .bounce && $0.severity == .high })
        #expect(analyzer.sessions.first?.transfers.first?.status == .unused)
    }

    @Test func clientIgnoringAnInternal227AddressMatchesByPort() throws {
        let frames = session(announce: "PASV", reply: "227 Entering Passive Mode (10,0,1,21,195,80)") { time in
            ConversationBuilder.data(
                from: Hosts.client(port: 50_001), to: Hosts.server(port: 50_000), at: time, carrying: 100,
                openerSends: false
            ).packets
        }
        let analyzer = Harness().run(frames)
        let transfer = try #require(analyzer.sessions.first?.transfers.first)
        #expect(transfer.status == .completed)
        #expect(transfer.observedConnection?.match == .portOnly)
        #expect(analyzer.findings.contains { $0.kind == .passiveAddressMismatch })
        #expect(analyzer.findings.contains { $0.kind == .privateAddressAnnounced })
    }

    @Test func longPassiveAndEPSVAll() throws {
        let frames = session(
            announce: "LPSV", reply: "228 Entering Long Passive Mode (4,4,198,51,100,21,2,195,80)"
        ) { time in
            ConversationBuilder.data(
                from: Hosts.client(port: 50_001), to: Hosts.server(port: 50_000), at: time, carrying: 100,
                openerSends: false
            ).packets
        }
        let transfer = try #require(Harness().run(frames).sessions.first?.transfers.first)
        #expect(transfer.mode == .longPassive)
        #expect(transfer.status == .completed)

        var control = ConversationBuilder.loggedIn()
        control.clientSends("EPSV ALL\r\n")
        control.serverSends("200 EPSV ALL ok\r\n")
        #expect(Harness().run(control.packets).sessions.first?.transfers.isEmpty == true)
    }

    @Test func malformedAnnouncementsAreAnomaliesNotCrashes() throws {
        var control = ConversationBuilder.loggedIn()
        for argument in ["2,1,-1,0,0,0", "305,6,0,1,1,3", "664336808023,1,1,1,1,1", ",,,,,", "|3|x|1|"] {
            control.clientSends("PORT \(argument)\r\n")
            control.serverSends("501 bad\r\n")
        }
        control.clientSends("PASV\r\n")
        control.serverSends("227 nothing here\r\n")
        let analyzer = Harness().run(control.packets)
        let session = try #require(analyzer.sessions.first)
        #expect(session.anomalies.count == 6)
        #expect(analyzer.findings.contains { $0.kind == .protocolAnomaly })
    }
}
