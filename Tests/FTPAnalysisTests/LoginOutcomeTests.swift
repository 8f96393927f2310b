@testable import FTPAnalysis
import NetworkTypes
import Testing

/// `FTPSession.login` over its attempts: the last accepted attempt decides, else any rejected one, else unknown
/// (read in one pass from the last attempt).
@Suite struct LoginOutcomeTests {
    static let time = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)

    static func login(_ outcomes: [LoginOutcome]) -> LoginOutcome {
        let session = FTPSession(client: Hosts.client, server: Hosts.server, start: time, serial: 1)
        session.loginAttempts = outcomes.map {
            LoginAttempt(user: "a user name longer than fifteen bytes", time: time, password: nil, outcome: $0, replyCode: nil)
        }
        return session.login
    }

    @Test func noAttemptIsNone() {
        #expect(Self.login([]) == LoginOutcome.none)
    }

    @Test func theLastAcceptedAttemptDecides() {
        #expect(Self.login([.failed, .succeeded]) == .succeeded)
        #expect(Self.login([.succeeded, .failed]) == .succeeded)
        #expect(Self.login([.anonymous, .failed, .unknown]) == .anonymous)
        #expect(Self.login([.succeeded, .anonymous, .failed]) == .anonymous)
        #expect(Self.login([.anonymous, .succeeded]) == .succeeded)
    }

    @Test func withoutAnAcceptedAttemptARejectedOneIsAFailure() {
        #expect(Self.login([.failed, .unknown]) == .failed)
        #expect(Self.login([.unknown, .failed]) == .failed)
        #expect(Self.login([.unknown]) == .unknown)
        #expect(Self.login([.unknown, .unknown]) == .unknown)
    }
}
