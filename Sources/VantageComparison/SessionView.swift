import FTPAnalysis
import NetworkTypes
import TCPReassembly

// The one file that reads the analysis model: everything else in this module works on the snapshots, so a
// change of FTPAnalysis's types touches this file alone.

/// A transfer's outcome (SPEC.md data status), as the single-capture analysis settles it.
public typealias TransferStatus = DataStatus
/// How a data channel was announced (SPEC.md mode).
public typealias TransferMode = DataMode
/// Why a data connection failed (SPEC.md cause), as the single-capture analysis types it.
public typealias TransferCause = DataCause

extension TransferMode {
    /// True when the server opens the data connection (PORT, EPRT, LPRT).
    var serverOpens: Bool { serverConnects }
}

extension TransferStatus {
    /// True for the outcomes that say nothing went wrong (the analysis's one definition of failed, negated).
    var isSuccess: Bool { !isFailure }
}

extension SessionSnapshot {
    /// Copies what comparing needs out of a settled session.
    public init(_ session: FTPSession) {
        var dialog: [DialogLine] = []
        if let code = session.bannerCode, let time = session.bannerTime {
            dialog.append(DialogLine(key: .reply(code: code), time: time))
        }
        for command in session.commands where !command.reconstructed {
            // An announcement's argument is what an FTP helper rewrites (and its length with it): left out.
            let argument = command.verb.isActiveAnnouncement ? "" : command.argument
            dialog.append(DialogLine(key: .command(verb: command.verbText, argument: argument), time: command.time))
            for reply in command.preliminary {
                dialog.append(DialogLine(key: .reply(code: reply.code), time: reply.time))
            }
            if let reply = command.reply { dialog.append(DialogLine(key: .reply(code: reply.code), time: reply.time)) }
        }
        var announcementArguments: [Int: String] = [:]
        for command in session.commands {
            if let index = command.transferIndex, command.verb.isActiveAnnouncement {
                announcementArguments[index] = command.argument
            }
        }
        let transfers = session.transfers.enumerated().map { index, transfer in
            TransferSnapshot(transfer, announcementArgument: announcementArguments[index])
        }
        self.init(
            id: session.id, client: session.client, server: session.server, tls: session.tls, dialog: dialog,
            transfers: transfers)
    }
}

extension TransferSnapshot {
    init(_ transfer: Transfer, announcementArgument: String?) {
        let text: String?
        if let mode = transfer.mode, mode.serverConnects {
            text = announcementArgument
        } else {
            // The server's 227/229/228 line says where to connect; its first line is the announcement.
            text = transfer.announcementReply.map { reply in
                String(reply.text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
            }
        }
        var sighting: ConnectionSighting?
        if let connection = transfer.observedConnection {
            let history = connection.history
            sighting = ConnectionSighting(
                opener: connection.originator, acceptor: connection.responder, syns: connection.synAttempts,
                // Zeek's history letters: `h` the responder's SYN/ACK, `r` its RST (lower case: responder).
                answered: history.contains("h"),
                rejected: connection.state == .rej || connection.icmpReason != nil
                    || (history.contains("r") && !history.contains("h")),
                payloadBytes: connection.originatorBytes + connection.responderBytes, firstTime: connection.firstTime)
        }
        let replyCode: Int?
        if let code = transfer.announcementReply?.code, code >= 400 {
            replyCode = code
        } else {
            replyCode = transfer.reply?.code
        }
        self.init(
            command: transfer.command, argument: transfer.argument, mode: transfer.mode,
            announcementVerb: transfer.announcementVerb, announcementText: text, announced: transfer.announced,
            status: transfer.status, cause: TransferSnapshot.typedCause(of: transfer), replyCode: replyCode,
            connection: sighting)
    }

    /// The single-capture analysis's typed cause (nil unless the transfer failed).
    static func typedCause(of transfer: Transfer) -> TransferCause? { transfer.cause }
}
