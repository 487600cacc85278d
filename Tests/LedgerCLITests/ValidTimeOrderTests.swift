import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// The fold in valid time, through the binary: what the projections answer depends on when events happened
/// (`occurredAt`; on the same day, the order they were recorded in), never on the order they were appended in.
/// The adversary's cases (entered late, a policy adopted late and back-dated, an extension agreed after the
/// deadline), each with its exact rows, and a differential test: the demo's events appended in another order
/// give the same projections.
@Suite("ledger CLI: the fold in valid time, whatever order events were entered in", .serialized)
struct ValidTimeOrderTests {
    static let moment = "2025-08-01T12:00:00Z"
    static let members: JSONValue = [
        ["id": "P1", "name": "Pat Parent", "role": "parent"],
        ["id": "100001", "name": "Kid One", "dob": "2015-03-01", "role": "child"],
    ]

    /// A log with `profile` adopted, team `t1` with manager `m1` and workers `w1`, `w2`, family A referred on
    /// 6 January 2025, then `events` appended in the order given.
    static func log(
        profile: String = "warwickshire-fsw", discussed: Bool = true, _ events: [String]
    ) -> TimedLog {
        let log = TimedLog(profile: profile, at: "2024-01-01T09:00:00Z")
        func staff(_ id: String, _ name: String, _ role: String) -> String {
            Events.line(
                id: "r-\(id)", stream: "worker:\(id)", type: "worker.registered", on: "2024-01-01",
                actor: "hr", role: "system",
                data: ["name": .string(name), "role": .string(role), "team": "t1", "fte": 1])
        }
        var lines = [
            Events.line(
                id: "t1", stream: "org", type: "team.defined", on: "2024-01-01", actor: "hr",
                role: "system", data: ["id": "t1", "name": "Team One"]),
            staff("m1", "Mags Manager", "team-manager"), staff("w1", "Wendy One", "fsw"),
            staff("w2", "Will Two", "fsw"),
            event(
                "A-ref", "referral.received", "2025-01-06", manager: true,
                ["source": "school", "reason": "x", "members": members]),
        ]
        if discussed {
            lines.append(
                event(
                    "A-d", "allocation.discussed", "2025-01-06", manager: true,
                    ["decision": "accepted", "level": "complex"]))
        }
        log.append(lines + events, at: moment)
        return log
    }

    static func event(
        _ id: String, _ type: String, _ date: String, manager: Bool = false,
        family: String = "A", _ data: JSONValue = [:]
    ) -> String {
        Events.line(
            id: id, stream: "family:\(family)", type: type, on: date,
            actor: manager ? "m1" : "w1", role: manager ? "team-manager" : "fsw", data: data)
    }

    static func allocation(_ id: String, _ worker: String, on date: String) -> String {
        event(
            id, "worker.allocated", date, manager: true,
            ["worker": .string(worker), "relationship": "lead"])
    }

    /// Some members of each row, as compact JSON, one line a row.
    static func cells(_ rows: [JSONObject], _ keys: [String]) -> [String] {
        rows.map { row in JSONWriter.string(.array(keys.map { row[$0] ?? .null })) }
    }

    @Test(
        "a lead allocated on the 10th, entered after the 20th's: the 20th's leads; allocate met on the 10th; the joint visit is due from the 10th"
    )
    func lateAllocation() {
        let log = Self.log([
            Self.allocation("A-al2", "w2", on: "2025-01-20"),
            Self.allocation("A-al1", "w1", on: "2025-01-10"),
        ])
        let families = log.rows(["families", "--as-of", "2025-02-01"], at: Self.moment)
        #expect(Self.cells(families, ["lead", "workers"]) == [#"["w2",["w1","w2"]]"#])
        let due = log.rows(["due", "--as-of", "2025-02-01"], at: Self.moment).filter {
            ["allocate", "joint-visit"].contains($0["rule"]?.stringValue ?? "")
        }
        #expect(
            Self.cells(due, ["rule", "dueOn", "status", "metOn", "responsible"]) == [
                #"["allocate","2025-01-13","met","2025-01-10","w2"]"#,
                #"["joint-visit","2025-01-17","overdue",null,"w2"]"#,
            ])
    }

    @Test(
        "reviews of February and June, then April's entered late: the chain the dates make, April's period met in June"
    )
    func lateReviewChain() {
        let review = { (id: String, date: String) in
            Self.event(id, "review.completed", date, ["outcome": "continue"])
        }
        let log = Self.log([
            Self.allocation("A-al", "w1", on: "2025-01-06"), review("A-feb", "2025-02-01"),
            review("A-jun", "2025-06-01"), review("A-apr", "2025-04-01"),
        ])
        let seqs = Dictionary(
            log.rows(["timeline", "A"], at: Self.moment).compactMap { row in
                row["id"]?.stringValue.flatMap { id in row["seq"].map { (id, $0) } }
            }, uniquingKeysWith: { first, _ in first })
        let rows = log.rows(
            ["due", "--as-of", "2025-07-01", "--rule", "quarterly-review"], at: Self.moment)
        // Each period starts at the review before it in valid time: the allocation's, then February's, April's
        // (the row entered late starts) and June's.
        let from = ["A-al", "A-feb", "A-apr", "A-jun"].map { seqs[$0] ?? .null }
        #expect(
            Self.cells(rows, ["from", "dueOn", "status", "metOn"]) == [
                JSONWriter.string(.array([from[0], "2025-04-06", "met", "2025-02-01"])),
                JSONWriter.string(.array([from[1], "2025-05-01", "met", "2025-04-01"])),
                JSONWriter.string(.array([from[2], "2025-07-01", "met", "2025-06-01"])),
                JSONWriter.string(.array([from[3], "2025-09-01", "open", .null])),
            ])
    }

    @Test(
        "a policy adopted late, in force from before the family's events, judges their clocks, with or without a checkpoint"
    )
    func backdatedPolicy() {
        let log = Self.log(
            [
                Self.event(
                    "f1-disc", "allocation.discussed", "2025-01-08", manager: true,
                    ["decision": "accepted", "level": "complex"]),
                Self.allocation("f1-alloc", "w1", on: "2025-01-20"),
                Self.event(
                    "f1-ass", "assessment.completed", "2025-01-22", ["kind": "single-assessment"]),
            ])
        // Asked before the adoption is entered: the fold is kept as a checkpoint under Warwickshire's rules.
        let before = log.run(
            ["due", "--as-of", "2025-03-01", "--format", "json"], at: Self.moment, trace: true)
        #expect(before.stderr.contains("checkpoint all: kept"), "\(before.stderr)")
        log.append(
            [
                Events.line(
                    id: "p2", stream: "org", type: "policy.adopted", on: "2025-01-02", actor: "m1",
                    role: "team-manager",
                    data: ["profile": "strengthening-families", "effectiveFrom": "2025-01-01"])
            ], at: Self.moment)
        let expected = [
            #"["interim-plan","003 §9.1","2025-02-05","overdue"]"#,
            #"["cin-visit","003 §9.5, §11.1","2025-02-10","overdue"]"#,
            #"["cin-meeting","003 §9.2","2025-02-19","overdue"]"#,
        ]
        for scratch in [["--from-scratch"], []] {
            let due = log.rows(["due", "--as-of", "2025-03-01"] + scratch, at: Self.moment)
            #expect(
                Self.cells(due, ["rule", "source", "dueOn", "status"]) == expected, "\(scratch)")
        }
        let caseload = log.run(
            ["caseload", "--as-of", "2025-03-01", "--worker", "w1", "--format", "csv"],
            at: Self.moment)
        #expect(
            caseload.stdout.contains("w1,Wendy One,fsw,t1,1,1,1,0,16,children,within"),
            "\(caseload.stdout)")
    }

    @Test(
        "an extension agreed after the deadline had passed: met within it, and the row says it was agreed late (004)"
    )
    func retrospectiveExtension() {
        let star: JSONValue = .object(
            JSONObject(
                [
                    "physicalHealth", "wellbeing", "emotionalNeeds", "keepingSafe",
                    "socialNetworks",
                    "education", "boundaries", "routine", "progressToWork", "homeAndMoney",
                ].map { JSONMember($0, 5) }))
        let log = Self.log(
            profile: "leicestershire-early-help", discussed: false,
            [
                Self.event(
                    "B-tri", "triage.completed", "2025-01-06", manager: true,
                    ["outcome": 6, "priority": "medium", "level": "targeted"]),
                Self.allocation("B-al", "w1", on: "2025-01-06"),
                Self.event("B-en", "engagement.started", "2025-01-10"),
                Self.event(
                    "B-x", "extension.agreed", "2025-03-01", manager: true,
                    [
                        "what": "assessment", "until": "2025-03-31",
                        "reason": "agreed after the fact",
                    ]),
                Self.event(
                    "B-as", "assessment.completed", "2025-03-20",
                    ["kind": "family-star", "familyStar": star]),
            ])
        let asOf = { (date: String) in
            log.rows(["due", "--as-of", date, "--rule", "assessment"], at: Self.moment)
        }
        #expect(
            Self.cells(asOf("2025-02-25"), ["dueOn", "status", "daysLate", "detail"]) == [
                #"["2025-02-21","overdue",4,null]"#
            ])
        #expect(
            Self.cells(asOf("2025-04-01"), ["dueOn", "status", "metOn", "detail"]) == [
                #"["2025-03-31","met","2025-03-20","extended to 2025-03-31 on 2025-03-01, after it fell due on 2025-02-21"]"#
            ])
    }

    // MARK: The same events, appended in another order

    /// The demo's events (every type, corrections and voids, late work), with some families' events appended
    /// later than they were: an event whose date no other event of its family shares (so the order of a day's
    /// events, which breaks ties, is kept), neither a correction or void nor the target of one (a correction
    /// comes after its target), moved up to 300 lines down the log. Returned as event texts in the new order.
    static func shuffled(_ events: [JSONObject], seed: UInt64) -> [JSONObject] {
        var targets = Set<String>()
        var sameDay: [String: Int] = [:]
        for event in events {
            if let target = event.text(at: "data.target") { targets.insert(target) }
            if let stream = event["stream"]?.stringValue, stream.hasPrefix("family:") {
                sameDay["\(stream) \(event["occurredAt"]?.stringValue ?? "")", default: 0] += 1
            }
        }
        var random = SplitMix(seed: seed)
        let keys = events.enumerated().map { index, event -> (Int, Int) in
            let stream = event["stream"]?.stringValue ?? ""
            let type = event["type"]?.stringValue ?? ""
            guard stream.hasPrefix("family:"), (stream.utf8.last ?? 0) % 2 == 0,
                type != "event.corrected", type != "event.voided",
                !targets.contains(event["id"]?.stringValue ?? ""),
                sameDay["\(stream) \(event["occurredAt"]?.stringValue ?? "")"] == 1,
                random.chance(0.4)
            else { return (index, index) }
            return (index + random.int(1..<300), index)
        }
        return keys.sorted { $0 < $1 }.map { events[$0.1] }
    }

    /// A stored line as the event it holds (what `ledger append` takes), for `RawLog.write`.
    static func event(ofStored line: String) -> JSONObject? {
        guard let stored = (try? JSONParser.parse(line))?.objectValue else { return nil }
        var object = JSONObject()
        for key in ["id", "stream", "type", "occurredAt", "actor", "source", "data"] {
            if let value = stored[key] { object[key] = value }
        }
        return object
    }

    /// What a valid-time projection answers, minus what names a seq (a due row's `from`), as sorted lines.
    static func answer(_ output: String) -> [String] {
        guard let value = try? JSONParser.parse(output) else {
            return ["not JSON: \(output.prefix(200))"]
        }
        let rows = value.arrayValue ?? [value]
        return rows.map { row in
            guard var object = row.objectValue else { return JSONWriter.string(row) }
            object["from"] = nil
            return JSONWriter.string(.object(object))
        }.sorted()
    }

    @Test(
        "the demo's events appended in another order give the same families, due, pbr, caseload and monthly, from scratch and from a checkpoint"
    )
    func differential() throws {
        let events = readLines(try DemoLog.path(families: 40, seed: 3)).compactMap(
            Self.event(ofStored:))
        let moved = Self.shuffled(events, seed: 11)
        let places = zip(moved, events).filter { $0["id"] != $1["id"] }.count
        #expect(places > events.count / 10, "\(places) of \(events.count) events moved")
        let directory = TemporaryDirectory()
        let inOrder = directory.file("in-order.jsonl")
        let reordered = directory.file("reordered.jsonl")
        let texts = { (objects: [JSONObject]) in objects.map { JSONWriter.string(.object($0)) } }
        try RawLog.write(texts(events), to: inOrder)
        // The reordered log's first 60% is read first, and each projection's fold kept as a checkpoint; the rest
        // (events dated before ones the checkpoint holds among them) is then folded on top of it.
        let cut = moved.count * 6 / 10
        try RawLog.write(texts(Array(moved[..<cut])), to: reordered)
        let environment = ["LEDGER_NOW": "2026-11-24T12:00:00Z"]
        for command in [["due"], ["families"], ["caseload"]] {
            let kept = Subprocess.ledger(
                command + ["--log", reordered, "--format", "json"],
                environment: environment.merging(["LEDGER_TRACE": "1"]) { $1 }, in: directory)
            #expect(kept.stderr.contains("kept at seq"), "\(command): \(kept.stderr)")
        }
        try RawLog.write(texts(moved), to: reordered)
        var compared = 0
        for asOf in ["2026-02-28", "2026-07-31", "2026-11-23"] {
            let month = String(asOf.prefix(7))
            for command in [
                ["families"], ["due"], ["pbr"], ["caseload"], ["monthly", "--month", month],
            ] {
                let arguments = command + ["--as-of", asOf, "--format", "json"]
                let expected = Subprocess.ledger(
                    arguments + ["--log", inOrder, "--from-scratch"], environment: environment,
                    in: directory)
                #expect(expected.status == 0, "\(arguments): \(expected.stderr)")
                for scratch in [[], ["--from-scratch"]] {
                    let got = Subprocess.ledger(
                        arguments + scratch + ["--log", reordered], environment: environment,
                        in: directory)
                    #expect(got.status == 0, "\(arguments): \(got.stderr)")
                    let (want, have) = (Self.answer(expected.stdout), Self.answer(got.stdout))
                    #expect(
                        want == have,
                        "\(arguments + scratch): \(Set(want).subtracting(have).sorted().prefix(3)) against \(Set(have).subtracting(want).sorted().prefix(3))"
                    )
                    compared += want.count
                }
            }
        }
        #expect(compared > 1000)
    }
}
