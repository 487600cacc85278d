import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The contract's checks made in place, on bytes, against `EventInput.validate`: whatever passes in place passes
/// the reference with the same facts; the ledger's own lines all pass in place.
@Suite("In-place validation agrees with EventInput.validate")
struct InPlaceValidationTests {
    static let recordedAt = Timestamp(rfc3339: "2026-11-23T12:00:00Z") ?? Timestamp(seconds: 0)

    enum Verdict: Equatable {
        case declined
        case passed(
            id: String, stream: String, type: String, actor: String, date: CivilDate,
            data: JSONObject)
    }

    /// What the in-place checks say of a stored line (declined also when the scanner steps aside).
    static func inPlace(_ line: [UInt8]) -> Verdict {
        line.withUnsafeBufferPointer { buffer in
            var scanner = LineScanner()
            guard let scanned = scanner.scan(buffer) else { return .declined }
            let chunk = LogChunk(copying: UnsafeRawBufferPointer(buffer))
            guard
                let facts = InPlaceValidation.facts(
                    scanned, line: buffer, chunk: chunk, start: 0, recordedAt: recordedAt,
                    recordedOn: recordedAt.londonDate)
            else { return .declined }
            return .passed(
                id: facts.id, stream: facts.stream, type: facts.type,
                actor: "\(facts.actorID)/\(facts.actorRole)",
                date: facts.occurred?.date ?? CivilDate(dayNumber: 0), data: facts.data.object)
        }
    }

    /// What the reference says: nil when it refuses.
    static func reference(_ line: [UInt8]) -> Verdict? {
        guard let record = try? LineFormat.decode(line),
            let input = try? EventInput.validate(record.content, recordedAt: recordedAt)
        else { return nil }
        return .passed(
            id: input.content.id, stream: input.content.stream, type: input.content.type,
            actor: "\(input.actorID)/\(input.actorRole)", date: input.occurred.date,
            data: input.data)
    }

    static func stored(_ writerLine: String) -> [UInt8] {
        guard let object = try? JSONParser.parse(writerLine).objectValue else { return [] }
        let content = RecordContent(
            id: object["id"]?.stringValue ?? "x", stream: object["stream"]?.stringValue ?? "",
            type: object["type"]?.stringValue ?? "",
            occurredAt: object["occurredAt"]?.stringValue ?? "", actor: object["actor"] ?? [:],
            source: object["source"],
            data: object["data"] ?? [:])
        return Array(
            LineFormat.encode(
                content, seq: 1, recordedAt: "2026-11-23T12:00:00Z", prev: LineFormat.genesisHash,
                salt: "0123456789abcdef0123456789abcdef"
            ).line.dropLast())
    }

    @Test("every line of a demo log but the policy passes in place, with the reference's facts")
    func demoLog() throws {
        let path = try DemoLog.path()
        var passed = 0
        for line in readLines(path) {
            let bytes = Array(line.utf8)
            let reference = try #require(
                Self.reference(bytes), "the demo log holds a refused event: \(line.prefix(120))")
            if line.contains(#""type":"policy.adopted""#) { continue }
            #expect(Self.inPlace(bytes) == reference, "\(line.prefix(160))")
            passed += 1
        }
        #expect(passed > 500, "the demo log is smaller than expected: \(passed) lines")
    }

    /// Values at the edges of each rule, in fields of each kind.
    static let edges: [(String, String)] = [
        (
            "integer written as a decimal",
            #"{"id":"e","stream":"family:F-1","type":"triage.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"outcome":4.0,"priority":"low","level":"brief"}}"#
        ),
        (
            "integer with an exponent",
            #"{"id":"e","stream":"family:F-1","type":"triage.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"outcome":4e0,"priority":"low","level":"brief"}}"#
        ),
        (
            "integer out of range",
            #"{"id":"e","stream":"family:F-1","type":"triage.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"outcome":17,"priority":"low","level":"brief"}}"#
        ),
        (
            "minus zero",
            #"{"id":"e","stream":"family:F-1","type":"case-summary.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"reason":"consultation","safetyScale":-0}}"#
        ),
        (
            "twenty-digit integer",
            #"{"id":"e","stream":"family:F-1","type":"case-summary.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"reason":"consultation","safetyScale":12345678901234567890}}"#
        ),
        (
            "escaped enum value",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"h\u006fme"}}"#
        ),
        (
            "non-ASCII enum value",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"hôme"}}"#
        ),
        (
            "escaped date",
            #"{"id":"e","stream":"family:F-1","type":"plan.agreed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"support-plan","actions":[{"id":"a","what":"x","who":"y","due":"2026\u002d03-01"}],"reviewBy":"2026-04-01"}}"#
        ),
        (
            "empty text",
            #"{"id":"e","stream":"family:F-1","type":"note.recorded","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"subject":"","body":"b"}}"#
        ),
        (
            "text of one escape",
            #"{"id":"e","stream":"family:F-1","type":"note.recorded","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"subject":"\n","body":"b"}}"#
        ),
        (
            "duplicate member ids, one escaped",
            #"{"id":"e","stream":"family:F-2","type":"referral.received","occurredAt":"2026-02-02","actor":{"id":"m-001","role":"team-manager"},"data":{"source":"self","reason":"r","members":[{"id":"a","name":"A","role":"child"},{"id":"\u0061","name":"B","role":"child"}]}}"#
        ),
        (
            "FTE of zero",
            #"{"id":"e","stream":"worker:w-5","type":"worker.registered","occurredAt":"2026-02-02","actor":{"id":"hr","role":"system"},"data":{"name":"N","role":"fsw","team":"t","fte":0}}"#
        ),
        (
            "FTE written 1.0",
            #"{"id":"e","stream":"worker:w-5","type":"worker.registered","occurredAt":"2026-02-02","actor":{"id":"hr","role":"system"},"data":{"name":"N","role":"fsw","team":"t","fte":1.0}}"#
        ),
        (
            "caseload min over max",
            #"{"id":"e","stream":"worker:w-5","type":"worker.registered","occurredAt":"2026-02-02","actor":{"id":"hr","role":"system"},"data":{"name":"N","role":"fsw","team":"t","fte":1,"caseload":{"min":9,"max":3}}}"#
        ),
        (
            "attendance ending before it starts",
            #"{"id":"e","stream":"family:F-1","type":"attendance.recorded","occurredAt":"2026-02-02","actor":{"id":"dm","role":"system"},"data":{"memberId":"c","from":"2026-02-01","to":"2026-01-01","percent":90}}"#
        ),
        (
            "occurred after it was recorded",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-11-24","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "actor with a third member",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw","team":"n"},"data":{"kind":"home"}}"#
        ),
        (
            "actor with its role repeated",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"role":"fsw","id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "actor with an empty third member",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","":0,"role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "actor with its members in the other order",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"role":"fsw","id":"w-017"},"data":{"kind":"home"}}"#
        ),
        (
            "source with a bad time",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"source":{"system":"m","ref":"r","recordedAt":"yesterday"},"data":{"kind":"home"}}"#
        ),
        (
            "stream of the wrong kind",
            #"{"id":"e","stream":"worker:w-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "id with a space",
            #"{"id":"e 1","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "plan action with no time",
            #"{"id":"e","stream":"family:F-1","type":"plan.agreed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"support-plan","actions":[{"id":"a","what":"x","who":"y"}],"reviewBy":"2026-04-01"}}"#
        ),
    ]

    @Test(
        "at the edges of each rule: passing in place implies passing the reference, with the same facts",
        arguments: edges)
    func edge(what: String, line: String) {
        let bytes = Self.stored(line)
        let verdict = Self.inPlace(bytes)
        if verdict != .declined {
            #expect(
                verdict == Self.reference(bytes), "\(what) passed in place but not the reference")
        }
    }

    /// Percent literals at and around 0–100: a `Double` rounds some of them onto a bound, or to infinity.
    static let percents: [(String, Bool)] = [
        ("100", true), ("100.0", true), ("1e2", true), ("1E+2", true), ("10000e-2", true),
        ("0", true),
        ("-0", true), ("-0.0", true), ("0.0000000000000000000001", true),
        ("99.999999999999999999", true), ("100.0000000000000001", false),
        ("100.000000000000000000000000001", false), ("1e400", false), ("-1e-400", false),
        ("-0.00000000000000000001", false), ("101", false),
    ]

    @Test(
        "a percent at its bounds is judged on its digits, by both interpreters", arguments: percents
    )
    func percentAtBounds(literal: String, passes: Bool) {
        let line =
            #"{"id":"e","stream":"family:F-1","type":"attendance.recorded","occurredAt":"2026-02-02","actor":{"id":"dm","role":"system"},"data":{"memberId":"c","from":"2026-01-01","to":"2026-02-01","percent":"#
            + literal + "}}"
        let bytes = Self.stored(line)
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"percent\":\(literal)}"))
        let reference = Self.reference(bytes)
        #expect((reference != nil) == passes, "the reference on \(literal)")
        // In place it may decline a line, never pass one the reference refuses.
        let inPlace = Self.inPlace(bytes)
        #expect(inPlace == .declined || inPlace == reference, "in place on \(literal)")
        if !passes, let record = try? LineFormat.decode(bytes) {
            #expect(throws: ValidationError.self) {
                try EventInput.validate(record.content, recordedAt: Self.recordedAt)
            }
            do {
                _ = try EventInput.validate(record.content, recordedAt: Self.recordedAt)
            } catch {
                #expect(
                    "\(error)".contains("data.percent: \(literal) is outside 0–100"), "\(error)")
            }
        }
    }

    @Test("fuzzed events: whatever passes in place passes the reference, with the same facts")
    func fuzz() throws {
        let iterations =
            getenv("LEDGER_FUZZ_ITERATIONS").flatMap { Int(String(cString: $0)) } ?? 2_000
        let seed = getenv("LEDGER_FUZZ_SEED").flatMap { UInt64(String(cString: $0)) } ?? 20_261_123
        var fuzzer = MutationFuzzer(seed: seed)
        let templates = readLines(try DemoLog.path()).filter { !$0.contains("policy.adopted") }
            .enumerated()
            .filter { $0.offset % 37 == 0 }.map(\.element)
        var passed = 0
        for round in 0..<iterations {
            let (mutant, kind) = fuzzer.mutate(templates[round % templates.count])
            let verdict = Self.inPlace(mutant)
            guard verdict != .declined else { continue }
            passed += 1
            #expect(
                verdict == Self.reference(mutant),
                "seed \(seed) round \(round) (\(kind)): \(String(decoding: mutant.prefix(300), as: UTF8.self))"
            )
        }
        #expect(passed > 0, "no mutant passed in place: the fuzzer does not reach it")
        print(
            "in-place fuzz: \(iterations) mutants from seed \(seed), \(passed) passed in place and were checked against the reference"
        )
    }
}
