import EventLog
@testable import LedgerCore
import LedgerTestSupport
import Testing
import LedgerDemo
@testable import LedgerEngine

#if canImport(Glibc)
    import Glibc
#endif

/// Ingest's in-place path (`LineScanner.scanWriter`, `InPlaceValidation`, `LineFormat.middle` of the bytes)
/// against the reference (`EventInput.parse`, then `LineFormat.middle` and `JSONWriter` of the values): whatever
/// it prepares, the reference prepares byte for byte the same; what it declines goes to the reference.
@Suite("Ingest's in-place path agrees with EventInput.parse")
struct WriterInPlaceTests {
    static let recordedAtText = "2026-11-23T12:00:00Z"
    static let recordedAt = Timestamp(rfc3339: recordedAtText) ?? Timestamp(seconds: 0)
    static let today = CivilDate(year: 2026, month: 11, day: 23) ?? CivilDate(dayNumber: 0)

    /// A prepared line, as values to compare.
    struct Outcome: Equatable {
        var id: String
        var idSupplied: Bool
        var stream: String
        var streamKind: StreamKind?
        var streamKey: String
        var type: String
        var kind: EventKind?
        var occurred: OccurredAt?
        var actor: String
        var data: JSONObject
        var key: UInt64
        var middle: [UInt8]
        var storedData: [UInt8]

        init(_ prepared: AppendSession.Prepared) {
            let facts = prepared.facts
            id = facts.id
            idSupplied = facts.idSupplied
            stream = facts.stream
            streamKind = facts.streamKind
            streamKey = facts.streamKey
            type = facts.type
            kind = facts.kind
            occurred = facts.occurred
            actor = "\(facts.actorID)/\(facts.actorRole)"
            data = facts.data.object
            key = prepared.key
            middle = prepared.middle
            storedData = prepared.data
        }
    }

    /// What the in-place path prepares of `line`; nil when it declines.
    static func inPlace(_ line: [UInt8]) -> Outcome? {
        line.withUnsafeBufferPointer { buffer in
            var scanner = LineScanner()
            guard let written = scanner.scanWriter(buffer) else { return nil }
            let chunk = LogChunk(copying: UnsafeRawBufferPointer(buffer))
            guard
                let facts = InPlaceValidation.facts(
                    written, line: buffer, chunk: chunk, start: 0, recordedAt: recordedAt,
                    recordedOn: recordedAt.londonDate)
            else { return nil }
            return Outcome(
                AppendSession.Prepared(
                    facts: facts, key: facts.idSupplied ? IdIndex.key(facts.id) : 0,
                    middle: LineFormat.middle(written, line: buffer, recordedAt: recordedAtText),
                    data: Array(UnsafeBufferPointer(rebasing: buffer[written.data]))))
        }
    }

    /// What the reference prepares of `line`, or its refusal.
    static func reference(_ line: [UInt8]) -> Result<Outcome, ValidationError> {
        line.withUnsafeBufferPointer { buffer in
            AppendSession.prepare(
                buffer, number: 1, tooLong: false, recordedAt: recordedAt,
                recordedAtText: recordedAtText
            )
            .map(Outcome.init)
        }
    }

    /// The demo scenario's events as their writers gave them (compact, in the ledger's member order).
    static func demoLines(families: Int = 40) -> [String] {
        DemoScenario(families: families, seed: 3, today: today).sortedEntries.map(\.line)
    }

    /// The same event written otherwise: members reversed, `v` given, no `id`.
    static func variants(_ line: String) -> [String] {
        guard let object = try? JSONParser.parse(line).objectValue else { return [] }
        var withVersion = object
        withVersion.members.insert(JSONMember("v", .number("1")), at: min(3, object.members.count))
        return [
            JSONWriter.string(.object(JSONObject(object.members.reversed()))),
            JSONWriter.string(.object(withVersion)),
            JSONWriter.string(.object(JSONObject(object.members.filter { $0.key != "id" }))),
        ]
    }

    @Test(
        "every event of the demo scenario, however its members are ordered, is prepared in place as the reference prepares it"
    )
    func demoEvents() throws {
        var checked = 0
        for line in Self.demoLines() {
            for form in [line] + Self.variants(line) {
                let bytes = Array(form.utf8)
                let inPlace = try #require(Self.inPlace(bytes), "declined: \(form.prefix(160))")
                #expect(Self.reference(bytes) == .success(inPlace), "\(form.prefix(160))")
                checked += 1
            }
        }
        #expect(checked > 2_000, "the demo scenario is smaller than expected: \(checked) forms")
    }

    @Test("the fingerprint made from the stored members is the content's own")
    func fingerprint() throws {
        for line in Self.demoLines().prefix(300) {
            for form in [line] + Self.variants(line) {
                let bytes = Array(form.utf8)
                let input = try bytes.withUnsafeBufferPointer {
                    try EventInput.parse($0, line: 1, recordedAt: Self.recordedAt) { "made-id" }
                }
                let middle = LineFormat.middle(input.content, recordedAt: Self.recordedAtText)
                let data = JSONWriter.bytes(input.content.data)
                #expect(
                    LineFormat.fingerprint(
                        id: input.content.id, middle: middle, recordedAt: Self.recordedAtText,
                        data: data)
                        == input.content.fingerprint, "\(form.prefix(160))")
            }
        }
    }

    static let visit =
        #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#

    /// Lines the in-place path leaves to the reference: their stored form is not their bytes, they are outside the
    /// shape it takes (whitespace), or the reference refuses them (with its own words).
    static let declined: [(String, String)] = [
        (
            "a space after a colon",
            #"{"id":"e","stream": "family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "a space inside data",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind": "home"}}"#
        ),
        ("a leading space", " " + visit),
        ("two carriage returns", visit + "\r\r"),
        ("a space after the object", visit + " "),
        (
            "an escape in a data string",
            #"{"id":"e","stream":"family:F-1","type":"note.recorded","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"subject":"a\/b","body":"b"}}"#
        ),
        (
            "an escaped quote in a data string",
            #"{"id":"e","stream":"family:F-1","type":"note.recorded","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"subject":"say \"hi\"","body":"b"}}"#
        ),
        (
            "an escape in the id",
            #"{"id":"\u0065","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "the stream twice",
            #"{"id":"e","stream":"family:F-1","stream":"family:F-2","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "a member the ledger sets",
            #"{"seq":9,"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "an unknown member",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"},"note":"x"}"#
        ),
        (
            "no data",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"}}"#
        ),
        (
            "no actor",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","data":{"kind":"home"}}"#
        ),
        (
            "version 2",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","v":2,"occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "version written 1.0",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","v":1.0,"occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "version as a string",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","v":"1","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "data that is an array",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":[]}"#
        ),
        (
            "a duplicate member inside data",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home","kind":"school"}}"#
        ),
        (
            "a trailing comma",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"},}"#
        ),
        ("something after the object", visit + "x"),
        (
            "an id with a space",
            #"{"id":"e 1","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "a type outside the catalogue",
            #"{"id":"e","stream":"family:F-1","type":"visit.cancelled","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "occurred after it was recorded",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-11-24","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "an actor with a third member",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw","team":"n"},"data":{"kind":"home"}}"#
        ),
        (
            "a source with a bad time",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"source":{"system":"m","ref":"r","recordedAt":"yesterday"},"data":{"kind":"home"}}"#
        ),
        (
            "a number where the schema wants an integer, written with a fraction",
            #"{"id":"e","stream":"family:F-1","type":"triage.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"outcome":4.0,"priority":"low","level":"brief"}}"#
        ),
    ]

    @Test(
        "lines outside the shape the in-place path takes, or that the reference refuses, are left to the reference",
        arguments: declined)
    func declines(what: String, line: String) {
        #expect(Self.inPlace(Array(line.utf8)) == nil, "\(what) was prepared in place")
    }

    /// Lines the in-place path takes as they are.
    static let accepted: [(String, String)] = [
        ("the ledger's member order", visit),
        (
            "data first",
            #"{"data":{"kind":"home"},"actor":{"role":"fsw","id":"w-017"},"occurredAt":"2026-02-02","type":"visit.completed","stream":"family:F-1","id":"e"}"#
        ),
        (
            "version 1 given",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","v":1,"occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "no id",
            #"{"stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
        (
            "a source",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"source":{"system":"mosaic","ref":"r-1","recordedAt":"2026-02-02T10:00:00Z"},"data":{"kind":"home"}}"#
        ),
        (
            "non-ASCII text in data",
            #"{"id":"e","stream":"family:F-1","type":"note.recorded","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"subject":"Siân's visit","body":"Zoë — fine"}}"#
        ),
        ("a Windows line ending", visit + "\r"),
        (
            "an instant for occurredAt",
            #"{"id":"e","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02T09:30:00+01:00","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#
        ),
    ]

    @Test(
        "lines already in stored form are prepared in place, as the reference prepares them",
        arguments: accepted)
    func accepts(what: String, line: String) throws {
        let bytes = Array(line.utf8)
        let inPlace = try #require(Self.inPlace(bytes), "\(what) was declined")
        #expect(Self.reference(bytes) == .success(inPlace))
    }

    @Test(
        "every refusal case: what the reference refuses is never prepared in place; what it prepares, the same"
    )
    func refusalCases() {
        var prepared = 0
        for (what, line, _, _) in RefusalTests.cases {
            let bytes = Array(line.utf8)
            guard let inPlace = Self.inPlace(bytes) else { continue }
            // Passed in place: the reference passes it too (a refusal for the log's state comes later, at commit).
            prepared += 1
            #expect(Self.reference(bytes) == .success(inPlace), "\(what) was prepared in place")
        }
        // The refusals for the log's state (no open episode, an unregistered worker, ...) pass the contract.
        #expect(prepared >= 10, "only \(prepared) refusal cases reached the in-place path")
    }

    @Test(
        "fuzzed writer lines: whatever is prepared in place, the reference prepares byte for byte the same"
    )
    func fuzz() {
        let iterations =
            getenv("LEDGER_FUZZ_ITERATIONS").flatMap { Int(String(cString: $0)) } ?? 3_000
        let seed = getenv("LEDGER_FUZZ_SEED").flatMap { UInt64(String(cString: $0)) } ?? 20_261_201
        var fuzzer = MutationFuzzer(seed: seed)
        let templates = Self.demoLines().enumerated().filter { $0.offset % 29 == 0 }.map(\.element)
        var prepared = 0
        for round in 0..<iterations {
            let (mutant, kind) = fuzzer.mutate(templates[round % templates.count])
            guard let inPlace = Self.inPlace(mutant) else { continue }
            prepared += 1
            #expect(
                Self.reference(mutant) == .success(inPlace),
                "seed \(seed) round \(round) (\(kind)): \(String(decoding: mutant.prefix(300), as: UTF8.self))"
            )
        }
        #expect(prepared > 0, "no mutant was prepared in place: the fuzzer does not reach it")
        print(
            "writer in-place fuzz: \(iterations) mutants from seed \(seed), \(prepared) prepared in place and checked against the reference"
        )
    }

    @Test(
        "ingesting a file (prepared in place) writes the same log, byte for byte, as appending its lines (the reference)"
    )
    func sameLog() throws {
        var lines = Self.demoLines(families: 200)
        // Refusals, repeats, clashes, events without ids and lines the in-place path declines, among the rest.
        lines.insert(
            #"{"id":"bad-1","stream":"family:F-1","type":"visit.cancelled","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{}}"#,
            at: 500)
        lines.insert(lines[700], at: 900)
        lines.insert(lines[20].replacing("\"occurredAt\":\"", with: "\"occurredAt\": \""), at: 950)
        let visit = try #require(lines.firstIndex { $0.contains("\"kind\":\"home\"") })
        lines.insert(
            lines[visit].replacing("\"kind\":\"home\"", with: "\"kind\":\"school\""), at: 1_000)
        let note = try #require(lines.firstIndex { $0.contains("\"type\":\"note.recorded\"") })
        if let object = try JSONParser.parse(lines[note]).objectValue {
            lines.insert(
                JSONWriter.string(.object(JSONObject(object.members.filter { $0.key != "id" }))),
                at: 1_100)
        }
        lines.insert("{\"id\":\"torn", at: 1_200)
        if let object = try JSONParser.parse(lines[note]).objectValue {
            var copy = object
            copy["id"] = "windows-note"
            lines.insert(JSONWriter.string(.object(copy)) + "\r", at: 1_250)
        }
        // An escape whose stored form differs from its bytes (the reference stores "a/b").
        if var object = try JSONParser.parse(lines[note]).objectValue,
            var data = object["data"]?.objectValue
        {
            object["id"] = "escaped-note"
            data["body"] = "a/b"
            object["data"] = .object(data)
            lines.insert(
                JSONWriter.string(.object(object)).replacing("a/b", with: #"a\/b"#), at: 1_300)
        }
        let file = TemporaryDirectory()
        let input = file.file("feed.jsonl")
        try FileOutput.writeAtomically(
            Array(lines.joined(separator: "\n").utf8) + [0x0A], to: input)
        #expect(
            (FileOutput.size(input) ?? 0) >= 1 << 20,
            "the feed must be big enough to be read in parallel slices")

        let viaFile = try TestLedger(profile: "leicestershire-early-help")
        let viaLines = try TestLedger(profile: "leicestershire-early-help")
        var fileOutcomes: [AppendOutcome] = []
        var lineOutcomes: [AppendOutcome] = []
        // The demo's lines open with the systems' registration by the ledger itself: written as the demo
        // writes them, a set-up (`settingUp`).
        try viaFile.store.append(.file(input), mode: .ingest(batchSize: 256), settingUp: true) {
            _, outcome, _ in
            fileOutcomes.append(outcome)
        }
        try viaLines.store.append(
            .lines(lines.map { Array($0.utf8) }), mode: .ingest(batchSize: 256), settingUp: true
        ) { _, outcome, _ in
            lineOutcomes.append(outcome)
        }
        #expect(fileOutcomes.count == lines.count)
        #expect(lineOutcomes.count == lines.count)
        let outcome = zip(fileOutcomes, lineOutcomes).enumerated().first {
            $0.element.0 != $0.element.1
        }
        #expect(
            outcome == nil,
            "line \((outcome?.offset ?? 0) + 1): the file gave \(String(describing: outcome?.element.0)), the lines \(String(describing: outcome?.element.1))"
        )
        let refused = fileOutcomes.compactMap {
            if case .refused(let error) = $0 { "\(error)" } else { nil }
        }
        #expect(refused.count == 3, "\(refused)")
        #expect(fileOutcomes.filter { if case .duplicate = $0 { true } else { false } }.count == 2)
        let fileLog = String(decoding: FileOutput.read(viaFile.path) ?? [], as: UTF8.self).split(
            separator: "\n")
        let linesLog = String(decoding: FileOutput.read(viaLines.path) ?? [], as: UTF8.self).split(
            separator: "\n")
        #expect(fileLog.count == linesLog.count)
        let stored = zip(fileLog, linesLog).first { $0 != $1 }
        #expect(stored == nil, "the file stored \(stored?.0 ?? ""), the lines \(stored?.1 ?? "")")
    }
}
