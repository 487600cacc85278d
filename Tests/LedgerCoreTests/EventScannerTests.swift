import EventLog
@testable import LedgerCore
import LedgerTestSupport
import Testing
@testable import LedgerEngine

/// The projections' read path (scanner, parallel reader, events as views, type filters, windows) against the
/// plain one: every line decoded by the reference parser, amendments applied, filtered afterwards.
@Suite("Event scanner agrees with the reference parser")
struct EventScannerTests {
    /// What an event says, field by field, as plain values.
    struct Fields: Equatable, CustomStringConvertible {
        var seq: Int, id: String, stream: String, type: String, kind: EventKind?, date: CivilDate,
            occurredAt: String
        var recordedAt: Timestamp, recordedAtText: String, actorID: String, actorRole: String,
            familyRef: String?
        var data: JSONObject, amendments: [Amendment], offset: Int

        init(_ event: StoredEvent) {
            seq = event.seq
            id = event.id
            stream = event.stream
            type = event.type
            kind = event.kind
            date = event.date
            occurredAt = event.occurredAt
            recordedAt = event.recordedAt
            recordedAtText = event.recordedAtText
            actorID = event.actorID
            actorRole = event.actorRole
            familyRef = event.familyRef
            data = event.data.object
            amendments = event.amendments
            offset = event.offset
        }

        var description: String { "seq \(seq) \(type) \(id)" }
    }

    /// Every event by the reference parser, line by line, the amendments recorded in the window applied.
    static func reference(_ path: String, window: EventWindow, types: Set<String>? = nil) throws
        -> [Fields]
    {
        var all: [StoredEvent] = []
        try LogReader(path: path).forEachLine { line, position, info in
            guard info.complete, !info.tooLong, var event = StoredEvent(try LineFormat.decode(line))
            else { return }
            event.offset = position.offset
            all.append(event)
        }
        let inWindow = all.filter { window.includes(date: $0.date, recordedAt: $0.recordedAt) }
        // Corrections count once recorded, whatever their own date: they apply at their target's (EVENTS.md,
        // Corrections). Before issue 21 this took only those inside the as-of window.
        let recorded = all.filter { event in window.knownAt.map { event.recordedAt <= $0 } ?? true }
        var amendments: [String: [Amendment]] = [:]
        for event in recorded where event.type == "event.corrected" || event.type == "event.voided"
        {
            guard let target = event.data["target"]?.stringValue else { continue }
            amendments[target, default: []].append(
                Amendment(
                    kind: event.type == "event.voided" ? .voided : .corrected, by: event.id,
                    seq: event.seq, date: event.date,
                    reason: event.data["reason"]?.stringValue ?? "",
                    data: event.data["data"]?.objectValue.map(EventData.init)))
        }
        return inWindow.filter { types?.contains($0.type) ?? true }.map { event in
            var event = event
            if let list = amendments[event.id] {
                var current = event.data
                event.amendments = list.map { amendment in
                    var applied = amendment
                    applied.original = current
                    if amendment.kind == .corrected, let replacement = amendment.data {
                        current = replacement
                    }
                    return applied
                }
                event.data = current
            }
            return Fields(event)
        }
    }

    static func fast(_ path: String, window: EventWindow, types: EventTypeSet? = nil) throws
        -> [Fields]
    {
        var events: [Fields] = []
        try EventScanner.scan(path: path, window: window, types: types) {
            events.append(Fields($0))
        }
        return events
    }

    static let windows: [(String, EventWindow)] = [
        ("everything", EventWindow()),
        ("as of 2026-06-30", EventWindow(asOf: CivilDate(year: 2026, month: 6, day: 30))),
        ("known at 2026-08-01", EventWindow(knownAt: Timestamp(rfc3339: "2026-08-01T00:00:00Z"))),
    ]

    @Test("every event of a demo log, field by field, in every window", arguments: windows)
    func demoLog(name: String, window: EventWindow) throws {
        let path = try DemoLog.path()
        let expected = try Self.reference(path, window: window)
        #expect(
            expected.contains { !$0.amendments.isEmpty },
            "the demo log has corrections and voids to apply")
        let fast = try Self.fast(path, window: window)
        #expect(fast.count == expected.count)
        for (got, want) in zip(fast, expected) where got != want {
            Issue.record("\(name): \(got) differs from the reference")
            break
        }
    }

    @Test(
        "events handed to work on the parse threads (mapSlices) are scan's, in order, in every window",
        arguments: windows)
    func mappedSlices(name: String, window: EventWindow) throws {
        // Big enough for several slices of the parallel reader.
        let path = try DemoLog.path(families: 300)
        #expect(FileOutput.size(path).map { $0 > ParallelLineReader.defaultChunkSize } == true)
        let expected = try Self.fast(path, window: window)
        var slices = 0
        var mapped: [Fields] = []
        try EventScanner.mapSlices(
            path: path, window: window, start: { [Fields]() }, transform: { $0.append(Fields($1)) }
        ) {
            slices += 1
            mapped += $0
        }
        #expect(slices >= 2)
        #expect(mapped.count == expected.count && mapped == expected, "\(name)")
    }

    @Test(
        "a text member written as JSON where it lies is the member's string written as JSON, view or decoded"
    )
    func textMembersAsJSON() throws {
        let ledger = try TestLedger()
        try ledger.append(Events.staff + [Events.referral("F-1", on: "2026-02-02")])
        var lines = readLines(ledger.path)
        // One line in another valid shape, with escapes: read by the reference parser, held as strings.
        lines[2] = lines[2].replacing(",\"stream\":", with: ", \"stream\" :")
        writeBytes(Array(rechained(lines).map { $0 + "\n" }.joined().utf8), to: ledger.path)
        let members: [(StoredEvent.TextMember, (StoredEvent) -> String?)] = [
            (.id, \.id), (.stream, \.stream), (.occurredAt, \.occurredAt),
            (.recordedAt, \.recordedAtText), (.actorID, \.actorID), (.actorRole, \.actorRole),
            (.familyRef, \.familyRef),
        ]
        var events = 0
        for path in [ledger.path, try DemoLog.path()] {
            try EventScanner.scan(path: path, window: EventWindow()) { event in
                events += 1
                for (member, value) in members {
                    var written: [UInt8] = []
                    event.writeJSON(member, into: &written)
                    var expected: [UInt8] = []
                    if let text = value(event) {
                        JSONWriter.writeString(text, into: &expected)
                    } else {
                        expected = Array("null".utf8)
                    }
                    #expect(written == expected, "seq \(event.seq), \(member)")
                }
            }
        }
        #expect(events > 100)
        // Bytes that need escapes (or are not ASCII) are written as their string would be.
        for text in ["a\"b", "back\\slash", "tab\tnew\nline", "caf\u{e9}", "\u{7f}", "plain-ref"] {
            var expected: [UInt8] = []
            JSONWriter.writeString(text, into: &expected)
            var written: [UInt8] = []
            Array(text.utf8).withUnsafeBufferPointer {
                JSONWriter.writeString(utf8: $0, into: &written)
            }
            #expect(written == expected, "\(text)")
        }
    }

    @Test("the last line of each family stream, as a plain read of every line finds it")
    func lastLines() throws {
        let path = try DemoLog.path()
        var expected: [UInt64: Int] = [:]
        try LogReader(path: path).forEachLine { line, position, _ in
            let record = try LineFormat.decode(line)
            let route = StoredEvent.route(of: record.content.stream)
            if route != 0 { expected[route] = position.offset }
        }
        #expect(expected.count >= 40)  // every family of the demo log
        #expect(try EventScanner.lastLines(path: path) == expected)
    }

    @Test("only the types asked for, the same events as the reference filtered afterwards")
    func typeFilter() throws {
        let path = try DemoLog.path()
        let wanted = [
            "referral.received", "worker.allocated", "case.closed", "worker.registered",
            "policy.adopted",
        ]
        let expected = try Self.reference(path, window: EventWindow(), types: Set(wanted))
        #expect(Set(expected.map(\.type)) == Set(wanted))
        #expect(try Self.fast(path, window: EventWindow(), types: EventTypeSet(wanted)) == expected)
    }

    @Test(
        "a stored line in another valid shape (whitespace) is read by the reference parser, to the same event"
    )
    func unusualShape() throws {
        let ledger = try TestLedger()
        try ledger.append(Events.staff + [Events.referral("F-1", on: "2026-02-02")])
        var lines = readLines(ledger.path)
        let before = try Self.fast(ledger.path, window: EventWindow())
        lines[2] = lines[2].replacing(",\"stream\":", with: ", \"stream\" :")
        writeBytes(Array(rechained(lines).map { $0 + "\n" }.joined().utf8), to: ledger.path)
        let after = try Self.fast(ledger.path, window: EventWindow())
        #expect(after.count == before.count)
        #expect(after.map(\.data) == before.map(\.data))
        #expect(after.map(\.id) == before.map(\.id))
        #expect(after.map(\.kind) == before.map(\.kind))
        #expect(
            try Self.reference(ledger.path, window: EventWindow()).map(\.seq) == after.map(\.seq))
    }

    @Test(
        "a malformed line is refused with its line number (its seq: the chain breaks there), not skipped"
    )
    func malformed() throws {
        let ledger = try TestLedger()
        try ledger.append(Events.staff + [Events.referral("F-1", on: "2026-02-02")])
        var lines = readLines(ledger.path)
        lines[2] = String(lines[2].dropLast(5))
        writeBytes(Array(lines.map { $0 + "\n" }.joined().utf8), to: ledger.path)
        #expect {
            try Self.fast(ledger.path, window: EventWindow())
        } throws: { error in
            guard case .chainBroken(let seq, _, let problem)? = error as? EventLogError else {
                return false
            }
            return seq == 3 && problem.contains("not in the line format")
                && "\(error)".contains("run `ledger verify`")
        }
    }

    @Test(
        "with some types asked for, a line pass 1 could not peek at is still read (or named by its line number)"
    )
    func plannedRead() throws {
        let ledger = try TestLedger()
        try ledger.append(
            Events.staff + [
                Events.referral("F-1", on: "2026-02-02"), Events.referral("F-2", on: "2026-02-03"),
            ])
        var lines = readLines(ledger.path)
        let wanted = EventTypeSet(["referral.received"])
        let before = try Self.fast(ledger.path, window: EventWindow(), types: wanted)
        #expect(before.count == 2)
        // The first referral in another valid shape: the peek fails, so the plan keeps it for the full parser.
        let first = lines.count - 2
        lines[first] = "{\"seq\" :" + lines[first].dropFirst(7)
        lines = rechained(lines)
        writeBytes(Array(lines.map { $0 + "\n" }.joined().utf8), to: ledger.path)
        let after = try Self.fast(ledger.path, window: EventWindow(), types: wanted)
        #expect(after.map(\.seq) == before.map(\.seq) && after.map(\.data) == before.map(\.data))
        #expect(
            try Self.reference(ledger.path, window: EventWindow(), types: ["referral.received"])
                == after)
        // And cut short: refused with its line number.
        lines[first] = String(lines[first].dropLast(5))
        writeBytes(Array(lines.map { $0 + "\n" }.joined().utf8), to: ledger.path)
        #expect {
            try Self.fast(ledger.path, window: EventWindow(), types: wanted)
        } throws: { error in
            guard case .chainBroken(let seq, _, _)? = error as? EventLogError else { return false }
            return seq == first + 1
        }
    }

    /// Ways of damaging one stored line, and the line they damage (a fraction of the way into the log).
    static let damages: [(String, Double)] = [
        ("data", 0.0), ("data", 0.37), ("body", 0.5), ("salt", 0.61), ("cut", 0.75),
        ("removed", 0.9), ("body", 1.0), ("data", 1.0),
    ]

    /// `line` damaged as `kind` says (nil: the line removed).
    static func damage(_ line: String, _ kind: String) -> String? {
        var characters = Array(line)
        func change(after marker: String, by offset: Int) -> String {
            guard let found = line.firstRange(of: marker) else { return line }
            let at = line.distance(from: line.startIndex, to: found.upperBound) + offset
            characters[at] = characters[at] == "q" ? "z" : "q"
            return String(characters)
        }
        switch kind {
        case "data": return change(after: #","data":{"#, by: 1)
        case "body": return change(after: #","id":""#, by: 0)
        case "salt": return change(after: #","salt":""#, by: 3)
        case "cut": return String(line.dropLast(5))
        default: return nil
        }
    }

    /// The first break in the chain of the lines at `path`, judged a line at a time in order (`HashChain` over
    /// each line's `ChainLink`): what every read must stop at.
    static func firstBreak(_ path: String) -> ChainBreak? {
        var chain = HashChain()
        var scanner = LineScanner()
        for line in readLines(path) {
            let bytes = Array(line.utf8)
            let link = bytes.withUnsafeBufferPointer { ChainLink(line: $0, scanner: &scanner) }
            do throws(ChainBreak) { try chain.accept(link) } catch { return error }
        }
        return nil
    }

    @Test(
        "a damaged line stops every read at the same seq, with the same words, whichever pass checks the chain",
        arguments: damages)
    func damagedLine(kind: String, at fraction: Double) throws {
        let source = try DemoLog.path(families: 300)
        let directory = TemporaryDirectory()
        let path = directory.file("damaged.jsonl")
        var lines = readLines(source)
        let index = min(lines.count - 1, Int(Double(lines.count) * fraction))
        if let damaged = Self.damage(lines[index], kind) {
            lines[index] = damaged
        } else {
            lines.remove(at: index)
        }
        writeBytes(Array(lines.map { $0 + "\n" }.joined().utf8), to: path)
        let expected = try #require(
            Self.firstBreak(path), "\(kind) at line \(index + 1) breaks the chain")
        func stops(_ read: () throws -> Void) -> String {
            do {
                try read()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let message =
            "\(EventLogError.chainBroken(seq: expected.seq, lineNumber: expected.seq, problem: expected.problem))"
        let window = EventWindow()
        // Every line decoded (the chain checked by pass 2), some types only (checked by pass 1), slices mapped,
        // a fold by family, and the amendments alone.
        #expect(
            stops { _ = try Self.fast(path, window: window) } == message, "\(kind) at \(index + 1)")
        #expect(
            stops { _ = try Self.fast(path, window: window, types: EventTypeSet(["case.closed"])) }
                == message)
        #expect(
            stops {
                try EventScanner.mapSlices(
                    path: path, window: window, start: { 0 }, transform: { $0 += $1.seq }
                ) { _ in }
            } == message)
        #expect(
            stops {
                _ = try EventScanner.foldByFamily(path: path, window: window, states: [0, 0]) {
                    $0 += $1.seq
                }
            } == message)
        #expect(stops { _ = try EventScanner.amendments(path: path, window: window) } == message)
    }

    @Test("every catalogue type has a kind and the set finds it by its bytes")
    func kindsAndTypeSets() {
        #expect(Set(EventKind.allCases.map(\.name)) == Set(Catalogue.types.keys))
        for name in Catalogue.names {
            #expect(EventKind(name: name)?.name == name)
            var bytes = name
            #expect(bytes.withUTF8 { Catalogue.typeName($0) } == name)
        }
        let set = EventTypeSet(["case.closed", "worker.allocated"])
        for (name, expected) in [
            ("case.closed", true), ("worker.allocated", true), ("case.close", false),
            ("case.closed ", false), ("", false),
        ] {
            #expect(set.contains(name) == expected, "\(name)")
        }
    }
}
