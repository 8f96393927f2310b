import FTPAnalysis
import FTPScope
import Foundation
import NetworkTypes
import Reports
import Testing

/// The JSON document reads a transfer's observed connection in place and works out `start`, `end`,
/// `community_id`, `syn_attempts`, `bytes` and `missing_bytes` there, rather than through the `TransferFacts`
/// getters (each of which copied the whole connection record): on every transfer of every sample and corpus
/// trace, each member must say what the getter says.
@Suite struct TransferJSONAgreementTests {
    @Test func everyTransferMemberAgreesWithItsFacts() throws {
        var transfers = 0
        var observed = 0
        var missing = 0
        for path in ECSEventTests.captures {
            let result = try OfflineAnalysis.run(paths: [path])
            for session in result.sessions {
                for transfer in session.transfers {
                    let text = JSONDocument.transferText(transfer)
                    let object = try #require(
                        JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
                    func member(_ name: String) -> String? {
                        guard let value = object[name], !(value is NSNull) else { return nil }
                        return "\(value)"
                    }
                    let context = "\(path) \(session.id): \(text)"
                    #expect(member("start") == transfer.start?.iso8601, "\(context)")
                    #expect(member("end") == transfer.end?.iso8601, "\(context)")
                    #expect(member("community_id") == transfer.communityID, "\(context)")
                    #expect(member("observed") == transfer.observed?.description, "\(context)")
                    #expect(member("data_originator") == transfer.observedConnection?.originator.description, "\(context)")
                    #expect(member("syn_attempts") == String(transfer.synAttempts), "\(context)")
                    #expect(member("bytes") == String(transfer.bytes), "\(context)")
                    #expect(member("missing_bytes") == (transfer.missingBytes > 0 ? String(transfer.missingBytes) : nil), "\(context)")
                    #expect(member("status") == transfer.status.rawValue, "\(context)")
                    #expect(member("cause") == transfer.cause?.rawValue, "\(context)")
                    transfers += 1
                    if transfer.observedIndex != nil { observed += 1 }
                    if transfer.missingBytes > 0 { missing += 1 }
                }
            }
        }
        // The samples hold transfers with and without a data connection, and some with bytes the capture missed.
        #expect(transfers > 50 && observed > 30 && missing > 0, "\(transfers) transfers, \(observed) observed, \(missing) missing")
    }
}
