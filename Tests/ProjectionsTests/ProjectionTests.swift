import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
import LedgerTestSupport
import Projections
import Testing

@Suite("Projections")
struct ProjectionTests {
    /// Megan's Family Star at assessment, as 004's worked example scores it.
    static let megansAssessment: JSONValue = [
        "physicalHealth": 3, "wellbeing": 2, "emotionalNeeds": 2, "keepingSafe": 1,
        "socialNetworks": 3,
        "education": 3, "boundaries": 2, "routine": 3, "progressToWork": 4, "homeAndMoney": 1,
    ]
    /// A review some months on: much better, but not yet in work or out of debt.
    static let megansReview: JSONValue = [
        "physicalHealth": 7, "wellbeing": 7, "emotionalNeeds": 6, "keepingSafe": 7,
        "socialNetworks": 7,
        "education": 7, "boundaries": 6, "routine": 7, "progressToWork": 4, "homeAndMoney": 5,
    ]

    static func megan() throws -> Scenario {
        let referral: JSONValue = [
            "source": "police", "reason": "Dale's behaviour, domestic abuse, school attendance",
            "members": [
                ["id": "900100", "name": "Megan", "role": "parent"],
                ["id": "900101", "name": "Ellie", "dob": "2007-02-01", "role": "parent"],
                ["id": "900102", "name": "Michelle", "dob": "2010-05-01", "role": "child"],
                ["id": "900103", "name": "Dale", "dob": "2012-09-01", "role": "child"],
                ["id": "900104", "name": "Graham", "dob": "2014-03-01", "role": "child"],
                ["id": "900105", "name": "Mark", "dob": "2025-02-01", "role": "child"],
            ],
            "criteria": [
                "crime-asb", "education", "children-need-help", "domestic-abuse", "worklessness",
            ],
        ]
        return try Scenario(
            profile: "leicestershire-early-help", referredOn: "2026-03-02", referral: referral,
            [
                E(
                    "triage.completed", "2026-03-02",
                    ["outcome": 4, "priority": "high", "level": "intensive"], manager: true),
                E(
                    "worker.allocated", "2026-03-03", ["worker": "w-017", "relationship": "lead"],
                    manager: true),
                E(
                    "ufrn.assigned", "2026-03-03", ["ufrn": "EH03900105F", "locality": "03"],
                    manager: true),
                E("engagement.started", "2026-03-05"),
                E(
                    "assessment.completed", "2026-03-24",
                    ["kind": "family-star", "familyStar": megansAssessment], id: "megan-assessment"),
                E(
                    "attendance.recorded", "2026-04-01",
                    [
                        "memberId": "900103", "from": "2026-01-05", "to": "2026-03-27",
                        "percent": 68,
                    ], id: "att-dale-1"),
                E(
                    "offence.recorded", "2026-04-10", ["memberId": "900103", "kind": "asb"],
                    id: "asb-dale"),
                E(
                    "review.completed", "2026-06-16",
                    ["familyStar": megansReview, "outcome": "continue"], id: "megan-review"),
                E(
                    "attendance.recorded", "2026-07-20",
                    [
                        "memberId": "900102", "from": "2026-04-13", "to": "2026-07-17",
                        "percent": 95,
                    ], id: "att-michelle"),
                E(
                    "attendance.recorded", "2026-07-20",
                    [
                        "memberId": "900103", "from": "2026-04-13", "to": "2026-07-17",
                        "percent": 91,
                    ], id: "att-dale-2"),
                E(
                    "attendance.recorded", "2026-07-20",
                    [
                        "memberId": "900104", "from": "2026-04-13", "to": "2026-07-17",
                        "percent": 96,
                    ], id: "att-graham"),
                E(
                    "attendance.recorded", "2026-07-20",
                    [
                        "memberId": "900105", "from": "2026-04-13", "to": "2026-07-17",
                        "percent": 100,
                    ], id: "att-mark"),
                E(
                    "employment.recorded", "2026-10-30",
                    [
                        "memberId": "900101", "startedOn": "2026-04-20", "benefit": "jsa",
                        "continuousWeeks": 27,
                    ], id: "job-ellie"),
            ])
    }

    static func progress(_ row: JSONObject, _ criterion: String) -> (String?, [String]) {
        let object = row["progress"]?.objectValue?[criterion]?.objectValue
        return (
            object?["status"]?.stringValue,
            object?["evidence"]?.arrayValue?.compactMap(\.stringValue) ?? []
        )
    }

    @Test(
        "the Megan family of 004: PbR from her Family Star at assessment, at review, and after Ellie's job"
    )
    func megan() throws {
        let scenario = try Self.megan()
        // At assessment: attached (intensive work is presumed attached), no progress anywhere yet.
        let atAssessment = try #require(try scenario.reports(asOf: "2026-04-30").pbr().first)
        #expect(atAssessment.text("attached") == "true")
        #expect(
            atAssessment.text("criteria")
                == "crime-asb; education; children-need-help; worklessness; domestic-abuse")
        #expect(
            Self.progress(atAssessment, "children-need-help") == ("not-met", ["megan-assessment"]))
        #expect(Self.progress(atAssessment, "domestic-abuse") == ("not-met", ["megan-assessment"]))
        // Only Dale's attendance is known, and it is 68%: one child below 90% is already not met (POLICIES.md;
        // this test expected "unknown" before issue 21, though what was known settled it).
        #expect(Self.progress(atAssessment, "education") == ("not-met", ["att-dale-1"]))
        #expect(Self.progress(atAssessment, "crime-asb") == ("not-met", ["asb-dale"]))
        #expect(atAssessment.text("claimable") == "attachment")
        // At review: children who need help, domestic abuse and health met; worklessness not; attendance all over 90%.
        let atReview = try #require(try scenario.reports(asOf: "2026-08-01").pbr().first)
        #expect(Self.progress(atReview, "children-need-help") == ("met", ["megan-review"]))
        #expect(Self.progress(atReview, "domestic-abuse") == ("met", ["megan-review"]))
        #expect(Self.progress(atReview, "health") == ("met", ["megan-review"]))
        #expect(Self.progress(atReview, "worklessness") == ("not-met", ["megan-review"]))
        #expect(
            Self.progress(atReview, "education") == (
                "met", ["att-dale-2", "att-graham", "att-mark", "att-michelle"]
            ))
        #expect(atReview.text("claimable") == "attachment")  // worklessness holds progress back
        // Six months after Dale's ASB, and Ellie 27 weeks in work off JSA: the employment trump card.
        let later = try #require(try scenario.reports(asOf: "2026-11-01").pbr().first)
        #expect(Self.progress(later, "crime-asb") == ("met", []))
        #expect(later.text("claimable") == "attachment; employment")
        // The families row shows both stars and the UFRN from the youngest child (Mark).
        let family = try #require(try scenario.reports(asOf: "2026-08-01").families().first)
        #expect(family.text("ufrn") == "EH03900105F")
        #expect(family.text("youngestChild") == "900105")
        #expect(family["firstStar"]?.objectValue?["event"]?.stringValue == "megan-assessment")
        #expect(family["latestStar"]?.objectValue?["event"]?.stringValue == "megan-review")
        #expect(family.text("status") == "engaged")
    }

    @Test("a claimed kind is not claimable again")
    func claimed() throws {
        let scenario = try Scenario(
            profile: "leicestershire-early-help",
            [
                E(
                    "triage.completed", "2026-03-02",
                    ["outcome": 4, "priority": "high", "level": "targeted"], manager: true),
                E("pbr.claimed", "2026-04-01", ["kind": "attachment", "reference": "C-1"]),
            ])
        let row = try #require(try scenario.reports(asOf: "2026-05-01").pbr().first)
        #expect(row.text("claimed") == "attachment")
        #expect(row.text("claimable") == "")
    }

    struct CriterionCase: Sendable, CustomTestStringConvertible {
        var criterion: String
        var status: String
        var events: [E]
        var testDescription: String { "\(criterion) \(status)" }
    }

    static func star(_ overrides: [String: Int], base: Int = 5) -> E {
        E(
            "review.completed", "2026-05-01",
            ["outcome": "continue", "familyStar": Events.star(base, overrides)], id: "star")
    }

    static let criterionCases: [CriterionCase] = [
        CriterionCase(
            criterion: "children-need-help", status: "met",
            events: [
                star([
                    "keepingSafe": 7, "wellbeing": 7, "routine": 7, "education": 8, "boundaries": 7,
                    "physicalHealth": 9,
                ])
            ]),
        CriterionCase(
            criterion: "children-need-help", status: "not-met",
            events: [
                star([
                    "wellbeing": 7, "routine": 7, "education": 8, "boundaries": 7,
                    "physicalHealth": 9, "socialNetworks": 7,
                ])
            ]),
        CriterionCase(criterion: "children-need-help", status: "unknown", events: []),
        CriterionCase(
            criterion: "worklessness", status: "met", events: [star(["homeAndMoney": 7])]),
        CriterionCase(
            criterion: "worklessness", status: "not-met",
            events: [star(["progressToWork": 6, "homeAndMoney": 6])]),
        CriterionCase(criterion: "worklessness", status: "unknown", events: []),
        CriterionCase(
            criterion: "domestic-abuse", status: "met",
            events: [star(["keepingSafe": 8, "wellbeing": 7])]),
        CriterionCase(
            criterion: "domestic-abuse", status: "not-met",
            events: [star(["keepingSafe": 8, "wellbeing": 6])]),
        CriterionCase(criterion: "domestic-abuse", status: "unknown", events: []),
        CriterionCase(criterion: "health", status: "met", events: [star(["physicalHealth": 7])]),
        CriterionCase(
            criterion: "health", status: "not-met", events: [star(["physicalHealth": 6])]),
        CriterionCase(criterion: "health", status: "unknown", events: []),
        CriterionCase(
            criterion: "education", status: "met",
            events: [
                E(
                    "attendance.recorded", "2026-05-01",
                    ["memberId": "123456", "from": "2026-01-05", "to": "2026-04-24", "percent": 90])
            ]),
        CriterionCase(
            criterion: "education", status: "not-met",
            events: [
                E(
                    "attendance.recorded", "2026-05-01",
                    [
                        "memberId": "123456", "from": "2026-01-05", "to": "2026-04-24",
                        .init(stringLiteral: "percent"): .number("89.5"),
                    ])
            ]),
        CriterionCase(criterion: "education", status: "unknown", events: []),
        CriterionCase(
            criterion: "crime-asb", status: "met",
            events: [
                E("offence.recorded", "2025-11-01", ["memberId": "123456", "kind": "offence"])
            ]),
        CriterionCase(
            criterion: "crime-asb", status: "not-met",
            events: [
                E("offence.recorded", "2026-04-01", ["memberId": "123456", "kind": "offence"])
            ]),
    ]

    @Test("progress per PbR criterion: met, not met, unknown", arguments: criterionCases)
    func criterion(_ testCase: CriterionCase) throws {
        let scenario = try Scenario(
            profile: "warwickshire-fsw", referredOn: "2025-10-01",
            [
                E(
                    "triage.completed", "2025-10-02",
                    ["outcome": 4, "priority": "high", "level": "complex"], manager: true)
            ] + testCase.events)
        let row = try #require(try scenario.reports(asOf: "2026-06-01").pbr().first)
        #expect(Self.progress(row, testCase.criterion).0 == testCase.status)
    }

    @Test(
        "attachment needs the profile's number of criteria for the level (001 Table 1)",
        arguments: [
            (["crime-asb", "education", "health"], "false"),
            (["crime-asb", "education", "health", "worklessness"], "true"),
        ])
    func attachment(criteria: [String], attached: String) throws {
        let scenario = try Scenario(
            profile: "warwickshire-fsw",
            [
                E(
                    "triage.completed", "2026-03-02",
                    ["outcome": 4, "priority": "high", "level": "complex"], manager: true),
                E(
                    "pbr.criteria.identified", "2026-03-10",
                    ["criteria": .array(criteria.map { .string($0) }), "source": "assessment"]),
            ])
        let row = try #require(try scenario.reports(asOf: "2026-04-01").pbr().first)
        #expect(row.text("attached") == attached)
        #expect(row.text("criteriaNeeded") == "4")
    }

    @Test("a family whose only worker has left is unallocated, not on anyone's caseload")
    func leaverFamilyUnallocated() throws {
        // An adversary's find: the leaver's row is not listed, so their family was on no one's caseload while the
        // service said "unallocated 0".
        let scenario = try Scenario(
            profile: "warwickshire-fsw",
            [
                E(
                    "worker.allocated", "2026-03-03", ["worker": "w-018", "relationship": "lead"],
                    manager: true)
            ])
        let before = try scenario.reports(asOf: "2026-03-31").caseload()
        #expect(before.service.text("unallocated") == "0")
        #expect(before.workers.first { $0.text("worker") == "w-018" }?.text("families") == "1")
        _ = try scenario.ledger.append([
            Events.line(
                id: "left-w-018", stream: "worker:w-018", type: "worker.left", on: "2026-03-10",
                actor: "m-001", role: "team-manager", data: [:])
        ])
        let after = try scenario.reports(asOf: "2026-03-31").caseload()
        #expect(after.service.text("openFamilies") == "1")
        #expect(after.service.text("unallocated") == "1")
        #expect(!after.workers.contains { $0.text("worker") == "w-018" })
    }

    @Test(
        "as of three dates: three different, correct answers; --known-at hides what was recorded later"
    )
    func asOfAndKnownAt() throws {
        // Recorded on 2026-11-23 (the test clock); the visit happened in April.
        let scenario = try Scenario(
            profile: "warwickshire-fsw",
            [
                E("allocation.discussed", "2026-03-02", ["decision": "accepted"], manager: true),
                E(
                    "worker.allocated", "2026-03-03", ["worker": "w-017", "relationship": "lead"],
                    manager: true),
                E("visit.completed", "2026-03-16", ["kind": "joint-sw-fsw"]),
                E("case.closed", "2026-06-01", ["reason": "met-outcomes"]),
            ])
        func jointVisit(_ asOf: String) throws -> String? {
            try scenario.due("joint-visit", asOf: asOf).first?.text("status")
        }
        #expect(try jointVisit("2026-03-02") == nil)  // not allocated yet: no obligation
        #expect(try jointVisit("2026-03-09") == "open")  // due 10 March
        #expect(try jointVisit("2026-03-12") == "overdue")
        #expect(try jointVisit("2026-04-01") == "met-late")
        let statuses = try ["2026-03-02", "2026-04-01", "2026-07-01"].map {
            try scenario.reports(asOf: $0).families().first?.text("status")
        }
        #expect(statuses == ["referred", "allocated", "closed"])
        // Known at a moment before anything was recorded: nothing but what was there.
        let before = try scenario.reports(asOf: "2026-07-01", knownAt: "2026-11-22T00:00:00Z")
        #expect(before.families().isEmpty)
        #expect(
            try scenario.reports(asOf: "2026-07-01", knownAt: "2026-11-23T12:00:00Z").families()
                .count == 1)
    }

    @Test(
        "corrections replace data everywhere and voids remove events; the timeline keeps both, struck through"
    )
    func corrections() throws {
        let scenario = try Scenario(
            profile: "warwickshire-fsw",
            [
                E(
                    "triage.completed", "2026-03-02",
                    ["outcome": 4, "priority": "high", "level": "complex"], manager: true,
                    id: "triage"),
                E(
                    "worker.allocated", "2026-03-03", ["worker": "w-017", "relationship": "lead"],
                    manager: true),
                E("visit.completed", "2026-03-05", ["kind": "home"], id: "visit-1"),
                E(
                    "event.corrected", "2026-03-06",
                    [
                        "target": "visit-1", "reason": "It was the joint visit",
                        "data": ["kind": "joint-sw-fsw"],
                    ]),
                E(
                    "event.corrected", "2026-03-06",
                    [
                        "target": "triage", "reason": "Level agreed at panel",
                        "data": ["outcome": 4, "priority": "high", "level": "complex-intensive"],
                    ], manager: true),
                E(
                    "note.recorded", "2026-03-07",
                    ["subject": "Wrong family", "body": "Meant for F-2"], id: "note-1"),
                E(
                    "event.voided", "2026-03-08",
                    ["target": "note-1", "reason": "Entered on the wrong family"]),
            ])
        let reports = try scenario.reports(asOf: "2026-04-01")
        #expect(try scenario.due("joint-visit", asOf: "2026-04-01").first?.text("status") == "met")
        #expect(reports.families().first?.text("level") == "complex-intensive")
        var book = TimelineBook(only: "F-1")
        try EventScanner.scan(path: scenario.ledger.path, window: EventWindow()) { book.apply($0) }
        let rows = book.timeline("F-1").map(\.row)
        let visit = try #require(rows.first { $0.text("id") == "visit-1" })
        #expect(visit.text("text") == "Joint visit with the social worker (FSW Worker w-017)")
        let correction = try #require(visit["corrected"]?.arrayValue?.first?.objectValue)
        #expect(correction["reason"]?.stringValue == "It was the joint visit")
        #expect(correction["original"]?.stringValue == "Home visit (FSW Worker w-017)")
        let note = try #require(rows.first { $0.text("id") == "note-1" })
        #expect(
            note["voided"]?.objectValue?["reason"]?.stringValue == "Entered on the wrong family")
        // As of a date before the correction was made, the triage is read as corrected: a correction applies at
        // its target's date (EVENTS.md, Corrections; this test expected "complex" before issue 21, the error of
        // a February report re-run in April repeating what March corrected).
        #expect(
            try scenario.reports(asOf: "2026-03-05").families().first?.text("level")
                == "complex-intensive")
    }

    @Test(
        "a family page's timeline rows, exactly: each correction's original and each void struck through, with why"
    )
    func timelineRows() throws {
        let scenario = try Scenario(
            profile: "warwickshire-fsw",
            [
                E(
                    "worker.allocated", "2026-03-03", ["worker": "w-017", "relationship": "lead"],
                    manager: true),
                E("visit.completed", "2026-03-05", ["kind": "home"], id: "visit-1"),
                E(
                    "event.corrected", "2026-03-06",
                    [
                        "target": "visit-1", "reason": "It was the joint visit",
                        "data": ["kind": "joint-sw-fsw"],
                    ]),
                E(
                    "note.recorded", "2026-03-07",
                    ["subject": "Wrong <family>", "body": "Meant for F-2 & F-3"], id: "note-1"),
                E(
                    "event.voided", "2026-03-08",
                    ["target": "note-1", "reason": "Entered on the \"wrong\" family"]),
            ])
        var book = TimelineBook(only: "F-1")
        try EventScanner.scan(path: scenario.ledger.path, window: EventWindow()) { book.apply($0) }
        var rows: [UInt8] = []
        // The referral and the allocation (seq 7 and 8) aside.
        for entry in book.timeline("F-1") where entry.seq > 8 {
            Dashboard.appendTimelineRow(entry, to: &rows)
        }
        let recorded = "2026-11-23T12:00:00Z"
        #expect(
            String(decoding: rows, as: UTF8.self)
                == [
                    "<tr><td>9<td>2026-03-05<td><del>Home visit (FSW Worker w-017)</del><span class=\"why\">Corrected (seq 10): It was the joint visit</span>Joint visit with the social worker (FSW Worker w-017)<td>\(recorded)</tr>",
                    "<tr><td>10<td>2026-03-06<td>Correction of visit-1: It was the joint visit (FSW Worker w-017)<td>\(recorded)</tr>",
                    "<tr><td>11<td>2026-03-07<td><del>Note: Wrong &lt;family&gt; — Meant for F-2 &amp; F-3 (FSW Worker w-017)</del><span class=\"why\">Voided (seq 12): Entered on the &quot;wrong&quot; family</span><td>\(recorded)</tr>",
                    "<tr><td>12<td>2026-03-08<td>Voided note-1 (entered in error): Entered on the &quot;wrong&quot; family (FSW Worker w-017)<td>\(recorded)</tr>",
                ].joined())
    }

    @Test(
        "caseloads count families and children, scale limits by FTE, and total teams and the service"
    )
    func caseload() throws {
        let ledger = try TestLedger(profile: "warwickshire-fsw")
        var lines = [
            Events.worker("w-017", fte: "0.5"), Events.worker("w-018"),
            Events.worker("m-001", role: "team-manager"),
            Events.line(
                id: "cl-w-018", stream: "worker:w-018", type: "worker.changed", on: "2025-02-01",
                actor: "hr", role: "system",
                data: ["caseload": ["min": 2, "max": 3]]),
        ]
        for index in 0..<9 {
            let ref = "F-\(index)"
            lines.append(Events.referral(ref, on: "2026-03-02", childID: "c\(index)"))
            lines.append(
                Events.line(
                    id: "t-\(ref)", stream: "family:\(ref)", type: "triage.completed",
                    on: "2026-03-02",
                    actor: "m-001", role: "team-manager",
                    data: ["outcome": 4, "priority": "high", "level": "complex"]))
            lines.append(
                Events.line(
                    id: "a-\(ref)", stream: "family:\(ref)", type: "worker.allocated",
                    on: "2026-03-03",
                    actor: "m-001", role: "team-manager",
                    data: [
                        "worker": .string(index < 6 ? "w-017" : "w-018"), "relationship": "lead",
                    ]))
        }
        try ledger.append(lines)
        var fold = LedgerFold()
        try EventScanner.scan(path: ledger.path, window: EventWindow()) { fold.apply($0) }
        let figures = Reports(fold: fold, asOf: try #require(CivilDate("2026-04-01"))).caseload()
        let half = try #require(figures.workers.first { $0.text("worker") == "w-017" })
        #expect(half.text("families") == "6" && half.text("children") == "6")
        #expect(RowWriter.cellText(half["limit"]) == "min: 5, max: 7.5, unit: families")
        #expect(half.text("status") == "within")
        let own = try #require(figures.workers.first { $0.text("worker") == "w-018" })
        #expect(RowWriter.cellText(own["limit"]) == "min: 2, max: 3, unit: families")
        #expect(own.text("status") == "within")
        // Every registered worker is listed (issue 20): the manager too, with no limit and no status.
        #expect(figures.workers.count == 3)
        let manager = try #require(figures.workers.first { $0.text("worker") == "m-001" })
        #expect(manager["limit"] == .null && manager["status"] == .null)
        let team = try #require(figures.teams.first)
        #expect(
            team.text("fte") == "2.5" && team.text("families") == "9"
                && team.text("withoutLimit") == "1")
        #expect(RowWriter.cellText(team["capacity"]) == "min: 7, max: 10.5, unit: families")
    }

    @Test("the same log gives byte-identical output")
    func deterministic() throws {
        let scenario = try Self.megan()
        let first = try scenario.reports(asOf: "2026-08-01")
        let second = try scenario.reports(asOf: "2026-08-01")
        #expect(RowWriter.json(first.families()) == RowWriter.json(second.families()))
        #expect(RowWriter.json(first.due()) == RowWriter.json(second.due()))
        #expect(RowWriter.csv(first.pbr()) == RowWriter.csv(second.pbr()))
        #expect(
            RowWriter.json([first.monthly(year: 2026, month: 6)])
                == RowWriter.json([second.monthly(year: 2026, month: 6)]))
    }
}
