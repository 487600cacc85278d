import EventLog
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The fast path for stored lines against the reference parser: whatever the scanner accepts, the reference
/// accepts and decodes to the same record; whatever the reference refuses, the scanner never accepts.
@Suite("Line scanner agrees with the reference parser")
struct LineScannerTests {
    static func stored(
        _ data: JSONValue, type: String = "visit.completed", id: String = "e-1",
        source: JSONValue? = nil,
        actor: JSONValue = ["id": "w-017", "role": "fsw"], seq: Int = 7
    ) -> [UInt8] {
        let content = RecordContent(
            id: id, stream: "family:F-1", type: type, occurredAt: "2026-02-05", actor: actor,
            source: source, data: data)
        return LineFormat.encode(
            content, seq: seq, recordedAt: "2026-02-05T17:30:00Z",
            prev: String(repeating: "ab", count: 32),
            salt: "0123456789abcdef0123456789abcdef"
        ).line.dropLast()  // without the newline
    }

    static func deep(_ depth: Int) -> JSONValue {
        var value: JSONValue = "floor"
        for _ in 0..<depth { value = .array([value]) }
        return value
    }

    /// Lines as the ledger writes them: the fast path must take every one.
    static let fixtures: [[UInt8]] = [
        stored(["kind": "home"]),
        stored([
            "kind": "home", "childrenSeen": ["c1", "c2"], "childSeenAlone": true,
            "reflection": "Went well",
        ]),
        stored(
            ["kind": "home"],
            source: ["system": "mosaic", "ref": "M-77", "recordedAt": "2026-02-05T09:00:00Z"]),
        stored(
            [
                "name": "Siân Ó Briain", "note": "家族 👪 — “quotes”",
                "mark": "\u{10FFFF}\u{E000}\u{FFFD}",
            ], type: "note.recorded"),
        stored(
            [
                "body":
                    "She said \"no\"\nthen left.\tTab, back\\slash, bell \u{07}, nul \u{0}, slash /"
            ], type: "note.recorded"),
        stored([
            "n": [0, .number("-0.5"), .number("1.5e3"), .number("-0"), 12345678901234567, "x"],
            "empty": [:], "none": [], "nothing": nil, "f": false,
        ]),
        stored(
            [
                "familyStar": ["physicalHealth": 3, "wellbeing": 10],
                "worries": ["home", "school"],
            ], type: "assessment.completed"),
        stored(["deep": deep(60)]),
        stored([:], type: "engagement.started", id: "x:y.z_1-2", seq: 123_456_789),
        stored(["kind": "home"], actor: ["role": "fsw", "id": "w-017", "team": "north"]),
    ]

    static func reference(_ line: [UInt8]) -> LedgerRecord? { try? LineFormat.decode(line) }

    static func fast(_ line: [UInt8]) -> LedgerRecord? {
        line.withUnsafeBufferPointer { buffer in
            var scanner = LineScanner()
            return scanner.scan(buffer).map { LineFormat.record($0, line: buffer) }
        }
    }

    @Test(
        "every line the ledger writes takes the fast path and decodes exactly as the reference does",
        arguments: fixtures.indices)
    func fixtureAgrees(index: Int) throws {
        let line = Self.fixtures[index]
        let reference = try #require(Self.reference(line), "fixture \(index) must be valid")
        let fast = try #require(Self.fast(line), "fixture \(index) left the fast path")
        #expect(fast == reference)
        let peeked = try #require(line.withUnsafeBufferPointer { LineScanner.peek($0) })
        #expect(peeked.seq == reference.seq)
        #expect(String(decoding: line[peeked.type], as: UTF8.self) == reference.content.type)
    }

    /// Valid lines in shapes the ledger does not write: the scanner steps aside and the reference decides.
    static let unusual: [(String, [UInt8])] = {
        let line = String(decoding: stored(["kind": "home"]), as: UTF8.self)
        let escaped = String(decoding: stored(["kind": "home"], id: "e-1"), as: UTF8.self)
            .replacing("\"id\":\"e-1\"", with: "\"id\":\"e\\u002d1\"")
        var wide = JSONObject()
        for index in 0..<80 { wide["m\(index)"] = .int(index) }
        return [
            (
                "whitespace between members",
                Array(line.replacing(",\"stream\"", with: ", \"stream\"").utf8)
            ),
            ("trailing whitespace", Array((line + " ").utf8)),
            ("an escape in the id", Array(escaped.utf8)),
            (
                "an escaped member name at the top level",
                Array(line.replacing("{\"seq\"", with: "{\"s\\u0065q\"").utf8)
            ),
            ("non-ASCII actor id", stored(["kind": "home"], actor: ["id": "w-é", "role": "fsw"])),
            (
                "an escaped member name in data",
                Array(line.replacing("{\"kind\"", with: "{\"k\\u0069nd\"").utf8)
            ),
            ("80 members in one object", stored(.object(wide))),
            ("actor without a role", stored(["kind": "home"], actor: ["id": "w-017"])),
        ]
    }()

    @Test(
        "valid lines in other shapes are left to the reference, which decodes them",
        arguments: unusual)
    func unusualGoesToReference(what: String, line: [UInt8]) throws {
        _ = try #require(Self.reference(line), "\(what) should be valid")
        #expect(Self.fast(line) == nil, "\(what) should not take the fast path")
        let decoded = try line.withUnsafeBufferPointer { buffer in
            var scanner = LineScanner()
            return try LineFormat.decode(buffer, scanner: &scanner)
        }
        #expect(decoded == Self.reference(line))
    }

    static let invalid: [(String, [UInt8])] = {
        let line = String(decoding: stored(["kind": "home", "n": 5]), as: UTF8.self)
        func replacing(_ old: String, _ new: String) -> [UInt8] {
            Array(line.replacing(old, with: new).utf8)
        }
        var badUTF8 = Array(line.utf8)
        if let at = badUTF8.firstIndex(of: UInt8(ascii: "h")) {
            badUTF8.insert(contentsOf: [0xED, 0xA0, 0x80], at: at)
        }
        var overlong = Array(line.utf8)
        if let at = overlong.firstIndex(of: UInt8(ascii: "h")) {
            overlong.insert(contentsOf: [0xC0, 0xAF], at: at)
        }
        var control = Array(line.utf8)
        if let at = control.firstIndex(of: UInt8(ascii: "h")) { control.insert(0x01, at: at) }
        return [
            ("duplicate member in data", replacing("\"n\":5", "\"n\":5,\"n\":6")),
            ("surrogate encoded in UTF-8", badUTF8),
            ("overlong UTF-8", overlong),
            ("raw control character in a string", control),
            ("lone surrogate escape", replacing("\"home\"", "\"\\ud800\"")),
            ("low surrogate first", replacing("\"home\"", "\"\\udc00\\ud800\"")),
            ("unknown escape", replacing("\"home\"", "\"\\x41\"")),
            ("leading zero", replacing("\"n\":5", "\"n\":05")),
            (
                "number over 64 characters",
                replacing("\"n\":5", "\"n\":" + String(repeating: "9", count: 65))
            ),
            ("bare fraction", replacing("\"n\":5", "\"n\":5.")),
            (
                "nesting 65 deep",
                Array(String(decoding: stored(["deep": deep(64)]), as: UTF8.self).utf8)
            ),
            ("members out of order", replacing(",\"v\":1", "").map { $0 }),
            ("seq zero", replacing("{\"seq\":7", "{\"seq\":0")),
            ("seq as a decimal", replacing("{\"seq\":7", "{\"seq\":7.0")),
            (
                "uppercase hex",
                replacing("\"salt\":\"0123456789abcdef", "\"salt\":\"0123456789ABCDEF")
            ),
            ("salt missing", replacing(",\"salt\":\"0123456789abcdef0123456789abcdef\"", "")),
            (
                "data not an object",
                replacing("\"data\":{\"kind\":\"home\",\"n\":5}", "\"data\":[1]")
            ),
            ("a member after salt", replacing("abcdef\"}", "abcdef\",\"x\":1}")),
            ("trailing garbage", Array((line + "x").utf8)),
            ("truncated", Array(line.utf8.dropLast(3))),
            ("trailing comma", replacing("\"n\":5}", "\"n\":5,}")),
        ]
    }()

    @Test("lines the reference refuses are never accepted by the scanner", arguments: invalid)
    func invalidIsRefusedByBoth(what: String, line: [UInt8]) {
        #expect(Self.reference(line) == nil, "\(what): the reference should refuse it")
        #expect(Self.fast(line) == nil, "\(what): the scanner accepted it")
    }

    @Test("fuzzed lines: whatever the scanner accepts, the reference accepts with the same record")
    func fuzzAgreement() {
        let iterations =
            getenv("LEDGER_FUZZ_ITERATIONS").flatMap { Int(String(cString: $0)) } ?? 2_000
        let seed = getenv("LEDGER_FUZZ_SEED").flatMap { UInt64(String(cString: $0)) } ?? 20_261_123
        var fuzzer = MutationFuzzer(seed: seed)
        var accepted = 0
        var steppedAside = 0
        for round in 0..<iterations {
            let template = String(
                decoding: Self.fixtures[round % Self.fixtures.count], as: UTF8.self)
            let (mutant, kind) = fuzzer.mutate(template)
            let reference = Self.reference(mutant)
            guard let fast = Self.fast(mutant) else {
                if reference != nil { steppedAside += 1 }
                continue
            }
            accepted += 1
            #expect(
                reference == fast,
                "seed \(seed) round \(round) (\(kind)): \(String(decoding: mutant.prefix(300), as: UTF8.self))"
            )
        }
        #expect(accepted > 0, "no mutant reached the fast path: the fuzzer does not exercise it")
        print(
            "scanner fuzz: \(iterations) mutants from seed \(seed): \(accepted) accepted by both, \(steppedAside) valid ones left to the reference"
        )
    }
}
