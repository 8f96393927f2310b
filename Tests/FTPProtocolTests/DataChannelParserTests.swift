import TestSupport
@testable import FTPProtocol
import NetworkTypes
import Testing

typealias Announcement = Result<AnnouncedEndpoint, AnnouncementError>

private func ok(_ host: String?, _ port: UInt16) -> Announcement {
    .success(AnnouncedEndpoint(host: host.flatMap { IPAddress($0) }, port: port))
}

private func unspecified(_ port: UInt16) -> Announcement {
    .success(AnnouncedEndpoint(host: nil, port: port, hostWasUnspecified: true))
}

@Suite("DataChannelParser")
struct DataChannelParserTests {
    @Test(
        "PORT",
        arguments: [
            ("192,168,1,2,195,80", ok("192.168.1.2", 50000)),
            ("10,0,0,1,0,21", ok("10.0.0.1", 21)),
            (" 10, 0 ,0,1 ,4,1 ", ok("10.0.0.1", 1025)),
            ("255,255,255,255,255,255", ok("255.255.255.255", 65535)),
            ("0,0,0,0,4,1", unspecified(1025)),
            ("010,000,000,001,004,001", ok("10.0.0.1", 1025)),
            // Zeek fuzz cases and other garbage.
            ("2,1,-1,0,0,0", .failure(.numberOutOfRange("-1"))),
            ("305,6,0,1,1,3", .failure(.numberOutOfRange("305"))),
            ("5,0,8,2,-45602,0", .failure(.numberOutOfRange("-45602"))),
            ("664336808023,1,2,3,4,5", .failure(.numberOutOfRange("664336808023"))),
            ("1,2,3,4,5,18446744073709551616", .failure(.numberOutOfRange("18446744073709551616"))),
            ("1,2,,4,5,6", .failure(.numberOutOfRange(""))),
            (",,,,,", .failure(.numberOutOfRange(""))),
            ("1,2,3,4,5", .failure(.wrongFieldCount(5))),
            ("1,2,3,4,5,6,7", .failure(.wrongFieldCount(7))),
            ("", .failure(.missingNumbers)),
            ("   ", .failure(.missingNumbers)),
            ("garbage", .failure(.wrongFieldCount(1))),
            ("a,b,c,d,e,f", .failure(.numberOutOfRange("a"))),
            ("1.2.3.4,5,6", .failure(.wrongFieldCount(3))),
            ("+1,2,3,4,5,6", .failure(.numberOutOfRange("+1"))),
        ] as [(String, Announcement)])
    func port(argument: String, expected: Announcement) {
        #expect(DataChannelParser.parsePORT(argument) == expected)
    }

    @Test(
        "227",
        arguments: [
            ("Entering Passive Mode (192,168,1,2,195,80)", ok("192.168.1.2", 50000)),
            ("227 Entering Passive Mode (192,168,1,2,195,80).", ok("192.168.1.2", 50000)),
            ("Entering Passive Mode (205,167,25,101,249,214).", ok("205.167.25.101", 63958)),
            ("Entering Passive Mode 10,0,0,1,4,1", ok("10.0.0.1", 1025)),
            ("=10,0,0,1,4,1", ok("10.0.0.1", 1025)),
            ("  Entering Passive Mode (10, 0, 0, 1, 4, 1)", ok("10.0.0.1", 1025)),
            ("10,0,0,1,4,1", ok("10.0.0.1", 1025)),
            ("Entering Passive Mode (0,0,0,0,4,1)", unspecified(1025)),
            ("v1,2 ready. Entering Passive Mode (10,0,0,1,4,1)", ok("10.0.0.1", 1025)),  // earlier short run skipped
            ("Entering Passive Mode (2,1,-1,0,0,0)", .failure(.numberOutOfRange("-1"))),
            ("Entering Passive Mode (305,6,0,1,1,3)", .failure(.numberOutOfRange("305"))),
            ("Entering Passive Mode (10,0,0,1,4)", .failure(.wrongFieldCount(5))),
            ("Entering Passive Mode (10,0,,0,1,4)", .failure(.numberOutOfRange(""))),
            ("Entering Passive Mode", .failure(.missingNumbers)),
            ("", .failure(.missingNumbers)),
            ("Entering Passive Mode (664336808023,1,1,1,1,1)", .failure(.numberOutOfRange("664336808023"))),
        ] as [(String, Announcement)])
    func reply227(text: String, expected: Announcement) {
        #expect(DataChannelParser.parse227(text) == expected)
    }

    @Test(
        "EPRT",
        arguments: [
            ("|1|132.235.1.2|6275|", ok("132.235.1.2", 6275)),
            ("|2|1080::8:800:200C:417A|5282|", ok("1080::8:800:200c:417a", 5282)),
            ("|2|2001:470:1f11:81f:c999:d94:aa7c:2e3e|49189|", ok("2001:470:1f11:81f:c999:d94:aa7c:2e3e", 49189)),
            ("!1!10.0.0.1!21!", ok("10.0.0.1", 21)),
            (" |1|10.0.0.1|21| ", ok("10.0.0.1", 21)),
            ("|2|::ffff:10.0.0.1|21|", ok("::ffff:10.0.0.1", 21)),
            ("|1|0.0.0.0|21|", unspecified(21)),
            ("|2|::|21|", unspecified(21)),
            ("|1|2001:db8::1|21|", .failure(.badAddress("2001:db8::1"))),  // address must match the family
            ("|2|10.0.0.1|21|", .failure(.badAddress("10.0.0.1"))),
            ("|3|10.0.0.1|21|", .failure(.badAddressFamily("3"))),
            ("||10.0.0.1|21|", .failure(.badAddressFamily(""))),
            ("|1|10.0.0.256|21|", .failure(.badAddress("10.0.0.256"))),
            ("|1||21|", .failure(.badAddress(""))),
            ("|1|10.0.0.1|65536|", .failure(.badPort("65536"))),
            ("|1|10.0.0.1|-1|", .failure(.badPort("-1"))),
            ("|1|10.0.0.1||", .failure(.badPort(""))),
            ("|1|10.0.0.1|21", .failure(.badDelimiter)),
            ("|1|10.0.0.1|", .failure(.wrongFieldCount(2))),
            ("|1|10.0.0.1|21|x|", .failure(.wrongFieldCount(4))),
            ("|1|10.0.0.1|21|x", .failure(.badDelimiter)),
            ("\u{7F}1\u{7F}10.0.0.1\u{7F}21\u{7F}", .failure(.badDelimiter)),
            ("", .failure(.missingNumbers)),
        ] as [(String, Announcement)])
    func eprt(argument: String, expected: Announcement) {
        #expect(DataChannelParser.parseEPRT(argument) == expected)
    }

    @Test(
        "229",
        arguments: [
            ("Entering Extended Passive Mode (|||6446|)", ok(nil, 6446)),
            ("229 Entering Extended Passive Mode (|||6446|).", ok(nil, 6446)),
            ("Entering Extended Passive Mode (!!!6446!)", ok(nil, 6446)),
            ("Entering Extended Passive Mode (|2|2001:db8::1|6446|)", ok("2001:db8::1", 6446)),
            ("Entering Extended Passive Mode (|1|10.0.0.1|6446|)", ok("10.0.0.1", 6446)),
            // Found by FuzzDataChannel (crash-14d217f0…, a broken invariant in the fuzz target, not the parser): the
            // first parenthesised full form wins over a later out-of-range short one.
            ("E\u{0}(|2|2::|9926|)\\xFF(|||89927|)\u{0}", ok("2::", 9926)),
            ("Entering Extended Passive Mode |||6446|", ok(nil, 6446)),
            ("Extended Passive (mode) (|||6446|)", ok(nil, 6446)),
            ("Entering Extended Passive Mode (|||65536|)", .failure(.badPort("65536"))),
            ("Entering Extended Passive Mode (|||abc|)", .failure(.badPort("abc"))),
            ("Entering Extended Passive Mode (||||)", .failure(.badPort(""))),
            ("Entering Extended Passive Mode (|||6446)", .failure(.badDelimiter)),
            ("Entering Extended Passive Mode (||6446|)", .failure(.wrongFieldCount(2))),
            ("Entering Extended Passive Mode", .failure(.missingNumbers)),
            ("", .failure(.missingNumbers)),
        ] as [(String, Announcement)])
    func reply229(text: String, expected: Announcement) {
        #expect(DataChannelParser.parse229(text) == expected)
    }

    @Test(
        "LPRT and 228",
        arguments: [
            ("4,4,10,0,0,1,2,4,1", ok("10.0.0.1", 1025)),
            ("6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,4,1", ok("2001:db8::1", 1025)),
            ("4,4,0,0,0,0,2,4,1", unspecified(1025)),
            ("4,4,10,0,0,1,2,4", .failure(.wrongFieldCount(8))),
            ("4,4,10,0,0,1,2,4,1,9", .failure(.wrongFieldCount(10))),
            ("4,16,10,0,0,1,2,4,1", .failure(.badAddress("host length 16"))),
            ("6,4,10,0,0,1,2,4,1", .failure(.badAddress("host length 4"))),
            ("5,4,10,0,0,1,2,4,1", .failure(.badAddressFamily("5"))),
            ("4,4,10,0,0,1,3,4,1,1", .failure(.badPort("port length 3"))),
            ("4,4,10,0,0,1,2,4,256", .failure(.numberOutOfRange("256"))),
            ("4,4,10,0,-1,1,2,4,1", .failure(.numberOutOfRange("-1"))),
            ("4", .failure(.wrongFieldCount(1))),
            ("4,4", .failure(.wrongFieldCount(2))),
            ("", .failure(.missingNumbers)),
        ] as [(String, Announcement)])
    func lprt(argument: String, expected: Announcement) {
        #expect(DataChannelParser.parseLPRT(argument) == expected)
        if !argument.isEmpty, argument.contains(",") {
            #expect(DataChannelParser.parse228("Entering Long Passive Mode (\(argument))") == expected)
        }
    }

    @Test("228 with the code and trailing text")
    func reply228() {
        #expect(DataChannelParser.parse228("228 Entering Long Passive Mode (4,4,10,0,0,1,2,4,1).") == ok("10.0.0.1", 1025))
        #expect(DataChannelParser.parse228("Entering Long Passive Mode") == .failure(.missingNumbers))
    }

    @Test("EPSV ALL", arguments: [("ALL", true), ("all", true), (" All ", true), ("", false), ("1", false), ("ALLX", false)])
    func epsvAll(argument: String, expected: Bool) {
        #expect(DataChannelParser.isEPSVAll(argument) == expected)
    }

    @Test("announced endpoints resolve against the control peer")
    func resolution() {
        let peer = IPAddress.v4(198, 51, 100, 7)
        #expect(AnnouncedEndpoint(host: nil, port: 21).endpoint(controlPeer: peer) == Endpoint(address: peer, port: 21))
        let own = AnnouncedEndpoint(host: .v4(10, 0, 0, 1), port: 1025)
        #expect(own.endpoint(controlPeer: peer) == Endpoint(address: .v4(10, 0, 0, 1), port: 1025))
        #expect(own.description == "10.0.0.1:1025")
        #expect(AnnouncedEndpoint(host: nil, port: 5).description == "*:5")
    }

    @Test("errors describe themselves")
    func descriptions() {
        let errors: [AnnouncementError] = [
            .missingNumbers, .wrongFieldCount(5), .numberOutOfRange("-1"), .badDelimiter, .badAddressFamily("3"),
            .badAddress("x"), .badPort("70000"),
        ]
        #expect(Set(errors.map(\.description)).count == errors.count)
        #expect(AnnouncementError.numberOutOfRange("305").description.contains("305"))
    }

    @Test("random bytes never trap and never yield an endpoint from nothing")
    func fuzz() {
        var generator = SplitMix64(seed: 7)
        let alphabet = Array("0123456789,|!()- .:abcdef227".utf8)
        var announced = 0
        for _ in 0..<3000 {
            let length = Int(generator.next() % 40)
            var bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            if generator.below(4) == 0 {  // a real announcement inside the noise, so successes are exercised too
                bytes.insert(contentsOf: "(192,0,2,1,4,1)".utf8, at: generator.below(bytes.count + 1))
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let hasDigit = bytes.contains { $0 >= 0x30 && $0 <= 0x39 }
            // Every announcement carries a port, so a text without a digit can never give an endpoint.
            let results = [
                DataChannelParser.parsePORT(text), DataChannelParser.parse227(text), DataChannelParser.parseEPRT(text),
                DataChannelParser.parse229(text), DataChannelParser.parseLPRT(text), DataChannelParser.parse228(text),
            ]
            for case .success(let endpoint) in results {
                #expect(hasDigit, "\(text.debugDescription) gave \(endpoint)")
                announced += 1
            }
            if let path = ReplyParsing.parse257Path(text) { #expect(path.utf8.count < max(1, bytes.count)) }
            if let size = ReplyParsing.parse150Size(text) { #expect(hasDigit, "\(text.debugDescription) gave \(size)") }
            #expect(ReplyParsing.resolvePath(text, cwd: "/a/b").hasPrefix("/"))
        }
        #expect(announced > 0, "some random texts must form announcements, or the test checks nothing")
    }

    @Test("the fast path for PORT and EPRT accepts exactly what the general reading accepts, with the same result")
    func fastPathAgrees() {
        var generator = SplitMix64(seed: 0xE9)
        // Announcements put together from plausible and broken pieces: well-formed ones are common, and each
        // kind of damage (field count, range, blanks, delimiters, family, address, port) turns up.
        let numbers = ["192", "0", "2", "255", "256", "1", " 7", "9\t", "", "01", "x", "1000", "12345678901"]
        let separators = [",", ",", ",", ",", " ,", ";", ""]
        let delimiters = ["|", "|", "|", "!", "", "||"]
        let families = ["1", "2", "1", "2", "3", "", "12"]
        let addresses = ["192.0.2.1", "2001:db8::7", "::", "0.0.0.0", "1.2.3", "x", "", "::ffff:192.0.2.9"]
        let ports = ["21", "65535", "65536", "0", "", "123456", "2x"]
        var accepted = 0
        for _ in 0..<20_000 {
            var port = ""
            for field in 0..<(4 + generator.below(4)) {
                if field > 0 { port += separators[generator.below(separators.count)] }
                port += numbers[generator.below(numbers.count)]
            }
            func delimiter() -> String { delimiters[generator.below(delimiters.count)] }
            let eprt =
                (generator.below(4) == 0 ? " " : "") + delimiter() + families[generator.below(families.count)]
                + delimiter() + addresses[generator.below(addresses.count)] + delimiter()
                + ports[generator.below(ports.count)] + delimiter()
            let fastPORT = DataChannelParser.parsePORT(port)
            #expect(fastPORT == DataChannelParser.generalPORT(port), "PORT \(port.debugDescription)")
            let fastEPRT = DataChannelParser.parseEPRT(eprt)
            #expect(fastEPRT == DataChannelParser.generalEPRT(eprt), "EPRT \(eprt.debugDescription)")
            if case .success = fastPORT { accepted += 1 }
            if case .success = fastEPRT { accepted += 1 }
        }
        #expect(accepted > 100, "the generator must produce valid announcements too")
    }

    @Test("the fast path for 227 and 229 accepts exactly what the general reading accepts, with the same result")
    func fastReplyPathAgrees() {
        var generator = SplitMix64(seed: 0x229)
        var fastHits = 0
        let words = ["Entering Passive Mode ", "Entering Extended Passive Mode ", "227 ", "2 ", "-5 ", "", "(", ")",
                     ".", "ok", " "]
        let numbers = ["192", "0", "2", "255", "256", "1", "1000", "-1", "+3", ""]
        let separators = [",", ",", ",", " , ", ";", ",,"]
        let delimiters = ["|", "|", "|", "!", "1", ")", ""]
        let ports = ["21", "65535", "65536", "0", "", "123456", "2x"]
        var accepted = 0
        for _ in 0..<20_000 {
            var reply227 = words[generator.below(words.count)]
            if generator.below(3) > 0 { reply227 += "(" }
            for field in 0..<(5 + generator.below(3)) {
                if field > 0 { reply227 += separators[generator.below(separators.count)] }
                reply227 += numbers[generator.below(numbers.count)]
            }
            reply227 += [")", ").", "", ",7"][generator.below(4)] + words[generator.below(words.count)]
            let fast227 = DataChannelParser.parse227(reply227)
            #expect(fast227 == DataChannelParser.general227(reply227), "227 \(reply227.debugDescription)")
            var reply229 = words[generator.below(words.count)] + "("
            for _ in 0..<3 { reply229 += delimiters[generator.below(delimiters.count)] }
            reply229 += ports[generator.below(ports.count)] + delimiters[generator.below(delimiters.count)]
            reply229 += [")", ").", "", ")(|||21|)"][generator.below(4)]
            let fast229 = DataChannelParser.parse229(reply229)
            #expect(fast229 == DataChannelParser.general229(reply229), "229 \(reply229.debugDescription)")
            if case .success = fast227 { accepted += 1 }
            if case .success = fast229 { accepted += 1 }
            var text227 = reply227
            var text229 = reply229
            if text227.withUTF8(DataChannelParser.wellFormed227) != nil { fastHits += 1 }
            if text229.withUTF8(DataChannelParser.wellFormed229) != nil { fastHits += 1 }
        }
        #expect(accepted > 100, "the generator must produce valid replies too")
        #expect(fastHits > 100, "and replies the fast path takes")
    }
}
