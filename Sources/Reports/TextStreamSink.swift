import FTPAnalysis
import NetworkTypes

/// The text summary as it streams: each session's block is rendered when the session ends and held in a
/// temporary file (`SessionSpool`), so that memory stays flat however many sessions a capture holds; at the end
/// the headline and the findings are printed, then the blocks, then the totals. In live mode (`spoolSessions`
/// off) the blocks are printed as they come and the headline, findings and totals follow at the end.
///
/// Blocks come out in session-id order: a session that ended before an earlier one is held until the earlier one
/// ends, up to `maximumHeldSessions`; beyond that the lowest held session is printed at once and the rest follow
/// as they end. A held session is held as its rendered block (a few hundred bytes), not as the session with every
/// command record, and is described as it was when it ended, as the timeline describes it.
public final class TextStreamSink: StreamingEventSink {
    /// Ended sessions held at most to keep blocks in id order.
    public static let defaultMaximumHeldSessions = 1000

    /// The renderer.
    public let summary: TextSummary
    /// The password policy.
    public let passwords: PasswordPolicy
    /// Write each block out as soon as it is printed (a terminal, live mode), rather than when the buffer fills.
    public var flushEachBlock: Bool
    /// The bound in force.
    public let maximumHeldSessions: Int
    /// Session blocks printed.
    public private(set) var sessionsPrinted = 0
    /// Sessions held now.
    public var heldSessions: Int { held.count }

    private let output: BufferedOutput
    private var held: [Int: [UInt8]] = [:]
    /// The block being rendered, reused so that a block in its turn (nearly all) is written without a copy.
    private var block: TextBytes
    private var nextNumber = 1
    private var counts = SummaryCounts()
    private let said = SaidBefore()
    /// Hold the blocks until the end (offline), rather than print them as they come (live).
    public let spoolSessions: Bool
    private let spool: SessionSpool?

    /// Creates a sink printing to `output`.
    public init(
        output: BufferedOutput, summary: TextSummary, passwords: PasswordPolicy, flushEachBlock: Bool = false,
        maximumHeldSessions: Int = TextStreamSink.defaultMaximumHeldSessions, spoolSessions: Bool = true
    ) {
        self.spoolSessions = spoolSessions
        spool = spoolSessions ? SessionSpool() : nil
        self.output = output
        self.summary = summary
        self.passwords = passwords
        self.flushEachBlock = flushEachBlock
        self.maximumHeldSessions = max(1, maximumHeldSessions)
        block = TextBytes(useColor: summary.useColor)
    }

    public func analysis(_ event: AnalysisEvent) {
        switch event {
        case .transfer(_, let transfer):
            counts.transfers[transfer.status, default: 0] += 1
        case .finding(let finding):
            // The analyzer keeps no findings when sessions are not retained: gather them here for the end.
            if findings.count < TextStreamSink.maximumFindingsListed {
                findings.append(finding)
            } else {
                findingsNotListed += 1
            }
        case .sessionEnded(let session):
            let number = Int(session.id.dropFirst()) ?? 0
            counts.add(session: session)
            block.removeAll()
            summary.writeSession(session, passwords, said: said, into: &block)
            summary.fit(&block.bytes)
            if number < nextNumber {
                // Its turn was skipped when the hold was full: print it now rather than never.
                print(block.bytes)
                return
            }
            if number == nextNumber {
                // Its turn: written from the buffer, then any held blocks that follow it.
                nextNumber += 1
                print(block.bytes)
                printReady()
                return
            }
            // A copy of its own size: sharing the buffer's storage would keep its whole capacity per held block
            // and make the next removeAll allocate a new buffer.
            held[number] = block.bytes.withUnsafeBufferPointer { Array($0) }
            if held.count > maximumHeldSessions, let lowest = held.keys.min() {
                nextNumber = lowest
            }
            printReady()
        default:
            break
        }
    }

    /// Findings listed at the end of a streamed summary; beyond it they are counted (the timeline has them all).
    public static let maximumFindingsListed = 10_000
    private var findings: [Finding] = []
    private var findingsNotListed = 0

    public func advance(watermark: Timestamp?) {}

    public func flush() { output.flush() }

    /// Prints the sessions still held, the captures, findings and totals, and closes the output.
    /// `input.sessions` is not used (it is empty when sessions are not retained); counts come from the stream.
    public func finish(_ input: ReportInput) throws(OutputError) {
        for number in held.keys.sorted() { print(held[number]!) }
        held.removeAll()
        var input = input
        if input.findings.isEmpty {
            input.findings = findings.sorted { ($0.time, $0.severity) < ($1.time, $1.severity) }
        }
        output.write(summary.fit(summary.renderHead(input, counts)))
        if findingsNotListed > 0 {
            output.write("(\(findingsNotListed) more findings not listed; see --csv or --jsonl)\n\n")
        }
        if let spool, !spool.isEmpty {
            output.write(summary.bold("Sessions") + "\n")
            spool.drain { output.write($0) }
            if !summary.listCommands { output.write("\n") }
        }
        output.write(summary.fit(summary.renderTotals(input.stats)))
        try output.close()
    }

    private func printReady() {
        while let block = held.removeValue(forKey: nextNumber) {
            nextNumber += 1
            print(block)
        }
    }

    private func print(_ block: [UInt8]) {
        sessionsPrinted += 1
        block.withUnsafeBytes { bytes in
            if let spool {
                spool.append(bytes)
            } else {
                output.write(bytes)
            }
        }
        if summary.listCommands {
            // A blank line between blocks.
            withUnsafeBytes(of: UInt8(ascii: "\n")) { newline in
                if let spool { spool.append(newline) } else { output.write(newline) }
            }
        }
        if spool == nil && flushEachBlock { output.flush() }
    }
}
