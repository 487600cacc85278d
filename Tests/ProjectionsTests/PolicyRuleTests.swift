import EventLog
import LedgerCore
import LedgerTestSupport
import Projections
import Testing

/// One test per rule of every built-in profile, named after the rule id. Due dates are worked out by hand from
/// the published bank holidays, so the calendar is checked too.
@Suite("Policy rules of every profile")
struct PolicyRuleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var profile: String
        var events: [E]
        var asOf: String
        var rule: String
        var status: String
        var dueOn: String
        var daysLate: Int? = nil
        var referral: JSONValue? = nil
        var referredOn = "2026-03-02"
        var testDescription: String { name }
    }

    static let accepted: JSONValue = ["decision": "accepted"]
    static func allocate(_ date: String) -> E {
        E("worker.allocated", date, ["worker": "w-017", "relationship": "lead"], manager: true)
    }
    static func triage(_ date: String, outcome: Int = 4, level: String) -> E {
        E(
            "triage.completed", date,
            ["outcome": .int(outcome), "priority": "medium", "level": .string(level)], manager: true
        )
    }
    static func plan(
        _ date: String, kind: String = "support-plan", reviewBy: String, visitEveryDays: Int? = nil
    ) -> E {
        var data: JSONObject = JSONObject([
            JSONMember("kind", .string(kind)), JSONMember("reviewBy", .string(reviewBy)),
            JSONMember(
                "actions",
                [["id": "a1", "what": "Routine chart", "who": "Parent", "due": .string(reviewBy)]]),
        ])
        if let visitEveryDays { data["visitEveryDays"] = .int(visitEveryDays) }
        return E("plan.agreed", date, .object(data))
    }
    static func close(_ date: String, reason: String = "met-outcomes") -> E {
        E("case.closed", date, ["reason": .string(reason)], manager: true)
    }

    static let cases: [Case] = [
        // warwickshire-fsw (000, 001)
        Case(
            name: "allocate: 5 working days across Easter 2026, met on the day",
            profile: "warwickshire-fsw",
            events: [
                E("allocation.discussed", "2026-04-02", accepted, manager: true),
                allocate("2026-04-13"),
            ],
            asOf: "2026-05-01", rule: "allocate", status: "met", dueOn: "2026-04-13"),
        // An allocation of the 10th entered after one of the 20th: the obligation was met on the 10th, on time.
        Case(
            name: "allocate: an earlier allocation entered late meets it on its own day",
            profile: "warwickshire-fsw",
            events: [
                E("allocation.discussed", "2026-04-02", accepted, manager: true),
                allocate("2026-04-20"),
                E(
                    "worker.allocated", "2026-04-10",
                    ["worker": "w-018", "relationship": "second"],
                    manager: true),
            ],
            asOf: "2026-05-01", rule: "allocate", status: "met", dueOn: "2026-04-13"),
        Case(
            name: "allocate: overdue when nobody is allocated", profile: "warwickshire-fsw",
            events: [E("allocation.discussed", "2026-04-02", accepted, manager: true)],
            asOf: "2026-04-20", rule: "allocate", status: "overdue", dueOn: "2026-04-13",
            daysLate: 7),
        Case(
            name: "joint-visit: two days late", profile: "warwickshire-fsw",
            events: [
                allocate("2026-03-03"),
                E("visit.completed", "2026-03-12", ["kind": "joint-sw-fsw"]),
            ],
            asOf: "2026-04-01", rule: "joint-visit", status: "met-late", dueOn: "2026-03-10",
            daysLate: 2),
        Case(
            name: "action-plan: within 10 days of allocation", profile: "warwickshire-fsw",
            events: [
                allocate("2026-03-03"),
                plan("2026-03-13", kind: "fsw-action-plan", reviewBy: "2026-04-10"),
            ],
            asOf: "2026-04-01", rule: "action-plan", status: "met", dueOn: "2026-03-13"),
        Case(
            name: "plan-review: capped at 8 weeks when reviewBy is later",
            profile: "warwickshire-fsw",
            events: [
                allocate("2026-03-03"),
                plan("2026-03-13", kind: "fsw-action-plan", reviewBy: "2026-06-30"),
            ],
            asOf: "2026-05-11", rule: "plan-review", status: "overdue", dueOn: "2026-05-08"),
        Case(
            name: "twelve-week-panel: lapses when the case closes first",
            profile: "warwickshire-fsw",
            events: [allocate("2026-03-03"), close("2026-04-01")],
            asOf: "2026-06-01", rule: "twelve-week-panel", status: "lapsed", dueOn: "2026-05-26"),
        Case(
            name: "quarterly-review: every 3 months from allocation", profile: "warwickshire-fsw",
            events: [
                allocate("2026-03-03"),
                E("review.completed", "2026-05-20", ["outcome": "continue"]),
            ],
            asOf: "2026-09-01", rule: "quarterly-review", status: "overdue", dueOn: "2026-08-20"),
        // A review of April recorded after June's does not answer the review due after June's (it was not
        // after it): the chain is the one the dates make, and its last period is June's, next due in September,
        // not "met" in April before it began.
        Case(
            name:
                "quarterly-review: a review recorded late, dated before the last, meets nothing after it",
            profile: "warwickshire-fsw",
            events: [
                allocate("2026-03-03"),
                E("review.completed", "2026-06-01", ["outcome": "continue"]),
                E("review.completed", "2026-04-01", ["outcome": "continue"]),
            ],
            asOf: "2026-07-01", rule: "quarterly-review", status: "open", dueOn: "2026-09-01"),
        Case(
            name:
                "step-up-transition: 60 working days (001 §7.1.2) across Easter and two May bank holidays",
            profile: "warwickshire-fsw",
            events: [
                E("stepup.decided", "2026-03-10", ["accepted": true], manager: true),
                close("2026-06-08", reason: "stepped-up"),
            ],
            asOf: "2026-07-01", rule: "step-up-transition", status: "met", dueOn: "2026-06-08"),
        Case(
            name: "step-down-exit: overdue the day after 60 working days",
            profile: "warwickshire-fsw",
            events: [
                E("level.changed", "2026-03-10", ["level": "targeted", "reason": "step-down"])
            ],
            asOf: "2026-06-09", rule: "step-down-exit", status: "overdue", dueOn: "2026-06-08"),
        Case(
            name: "duration: complex work open at most 12 months", profile: "warwickshire-fsw",
            events: [triage("2026-03-02", level: "complex")],
            asOf: "2026-11-23", rule: "duration", status: "open", dueOn: "2027-03-02"),
        // strengthening-families (003)
        Case(
            name: "interim-plan: 10 working days across Christmas 2025",
            profile: "strengthening-families",
            events: [
                allocate("2025-12-17"),
                E("assessment.completed", "2025-12-18", ["kind": "single-assessment"]),
                plan("2026-01-06", kind: "interim-cin-plan", reviewBy: "2026-02-10"),
            ],
            asOf: "2026-01-31", rule: "interim-plan", status: "met", dueOn: "2026-01-06",
            referredOn: "2025-12-15"),
        Case(
            name: "cin-meeting: 20 working days after the single assessment",
            profile: "strengthening-families",
            events: [
                allocate("2025-12-17"),
                E("assessment.completed", "2025-12-18", ["kind": "single-assessment"]),
            ],
            asOf: "2026-01-21", rule: "cin-meeting", status: "overdue", dueOn: "2026-01-20",
            referredOn: "2025-12-15"),
        Case(
            name: "plan-distributed: 5 working days over Christmas, met late",
            profile: "strengthening-families",
            events: [
                allocate("2025-12-17"),
                E("meeting.attended", "2025-12-22", ["kind": "cin-meeting"]),
                E("plan.distributed", "2026-01-02", ["to": ["Parent", "School"]]),
            ],
            asOf: "2026-01-31", rule: "plan-distributed", status: "met-late", dueOn: "2025-12-31",
            daysLate: 2, referredOn: "2025-12-15"),
        Case(
            name: "cin-review: every 6 weeks from the first plan",
            profile: "strengthening-families",
            events: [
                allocate("2026-01-05"),
                plan("2026-01-06", kind: "cin-plan", reviewBy: "2026-02-17"),
                E("review.completed", "2026-02-10", ["outcome": "continue"]),
            ],
            asOf: "2026-03-25", rule: "cin-review", status: "overdue", dueOn: "2026-03-24",
            referredOn: "2025-12-15"),
        Case(
            name: "cin-visit: every 3 weeks, or the plan's visitEveryDays when shorter",
            profile: "strengthening-families",
            events: [
                allocate("2026-03-03"),
                plan("2026-03-04", kind: "cin-plan", reviewBy: "2026-04-15", visitEveryDays: 10),
                E("visit.completed", "2026-03-20", ["kind": "cin"]),
            ],
            asOf: "2026-04-01", rule: "cin-visit", status: "overdue", dueOn: "2026-03-30"),
        Case(
            name: "sixteen-weeks: over 6 months justified by a team manager's supervision",
            profile: "strengthening-families",
            events: [
                triage("2026-03-02", level: "cin"),
                E(
                    "supervision.recorded", "2026-08-01",
                    ["decisions": "Continue: CiN plan progressing"], manager: true),
            ],
            asOf: "2026-10-01", rule: "sixteen-weeks", status: "met", dueOn: "2026-09-02"),
        Case(
            // 003 §4.6: "reviewed with a team manager"; an fs-coordinator's supervision does not count.
            name: "sixteen-weeks: an fs-coordinator's supervision does not justify going over",
            profile: "strengthening-families",
            events: [
                triage("2026-03-02", level: "cin"),
                E(
                    "supervision.recorded", "2026-08-01",
                    ["decisions": "Continue: CiN plan progressing"], coordinator: true),
            ],
            asOf: "2026-10-01", rule: "sixteen-weeks", status: "overdue", dueOn: "2026-09-02"),
        Case(
            name: "sixteen-weeks: overdue past 6 months without oversight",
            profile: "strengthening-families",
            events: [triage("2026-03-02", level: "cin")],
            asOf: "2026-10-01", rule: "sixteen-weeks", status: "overdue", dueOn: "2026-09-02"),
        Case(
            name: "step-down-support: closed a week after 6 weeks",
            profile: "strengthening-families",
            events: [
                E("level.changed", "2026-03-10", ["level": "targeted", "reason": "step-down"]),
                close("2026-04-28"),
            ],
            asOf: "2026-05-01", rule: "step-down-support", status: "met-late", dueOn: "2026-04-21",
            daysLate: 7),
        Case(
            name: "re-referral: within 12 weeks of closure is flagged",
            profile: "strengthening-families",
            events: [
                close("2026-03-20"),
                E(
                    "referral.received", "2026-05-01",
                    [
                        "source": "school", "reason": "Back again",
                        "members": [["id": "123456", "name": "Megan", "role": "child"]],
                    ], manager: true),
            ],
            asOf: "2026-05-02", rule: "re-referral", status: "breached", dueOn: "2026-05-01"),
        // leicestershire-early-help (004)
        Case(
            name: "first-contact: outcome 3 within 2 working days over Easter",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-04-02", outcome: 3, level: "targeted"),
                E("contact.attempted", "2026-04-08", ["method": "phone", "outcome": "no-answer"]),
            ],
            asOf: "2026-05-01", rule: "first-contact", status: "met", dueOn: "2026-04-08"),
        Case(
            name: "first-contact: outcome 15 means closure within 5 working days",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", outcome: 15, level: "brief"),
                close("2026-03-12", reason: "not-eligible"),
            ],
            asOf: "2026-04-01", rule: "first-contact", status: "met-late", dueOn: "2026-03-09",
            daysLate: 3),
        Case(
            name: "referrer-contact: 5 working days after allocation",
            profile: "leicestershire-early-help",
            events: [allocate("2026-03-03")],
            asOf: "2026-03-11", rule: "referrer-contact", status: "overdue", dueOn: "2026-03-10",
            daysLate: 1),
        Case(
            name: "contact-standard: breached by a closure after two calls",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "targeted"), allocate("2026-03-03"),
                E("contact.attempted", "2026-03-04", ["method": "phone", "outcome": "no-answer"]),
                E("contact.attempted", "2026-03-05", ["method": "phone", "outcome": "no-answer"]),
                close("2026-03-20", reason: "disengaged"),
            ],
            asOf: "2026-04-01", rule: "contact-standard", status: "breached", dueOn: "2026-03-20"),
        Case(
            name:
                "contact-standard: met by five calls, five texts, a cold call and a letter over three weeks",
            profile: "leicestershire-early-help",
            events: [triage("2026-03-02", level: "targeted"), allocate("2026-03-03")]
                + (0..<5).map {
                    E(
                        "contact.attempted", "2026-03-0\($0 + 4)",
                        ["method": "phone", "outcome": "no-answer"])
                }
                + (0..<5).map {
                    E(
                        "contact.attempted", "2026-03-1\($0)",
                        ["method": "text", "outcome": "no-response"])
                }
                + [
                    E(
                        "contact.attempted", "2026-03-20",
                        ["method": "cold-call", "outcome": "card-left"]),
                    E(
                        "contact.attempted", "2026-03-26",
                        ["method": "letter", "outcome": "no-response"]),
                    close("2026-03-30", reason: "disengaged"),
                ],
            asOf: "2026-04-01", rule: "contact-standard", status: "met", dueOn: "2026-03-30"),
        Case(
            name: "assessment: 6 weeks, extended by a manager, met within the extension",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "targeted"), allocate("2026-03-03"),
                E("engagement.started", "2026-03-05"),
                E(
                    "extension.agreed", "2026-04-10",
                    ["what": "assessment", "until": "2026-04-30", "reason": "Family in hospital"],
                    manager: true),
                E(
                    "assessment.completed", "2026-04-28",
                    ["kind": "family-star", "familyStar": Events.star(4)]),
            ],
            asOf: "2026-05-01", rule: "assessment", status: "met", dueOn: "2026-04-30"),
        // 004 §7, §11 (POLICIES.md): a Family Star for targeted and intensive work, Signs of Wellbeing for brief.
        Case(
            name:
                "assessment: targeted work's Signs of Wellbeing is not its Family Star assessment",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "targeted"), allocate("2026-03-03"),
                E("engagement.started", "2026-03-05"),
                E("assessment.completed", "2026-03-20", ["kind": "signs-of-wellbeing"]),
            ],
            asOf: "2026-05-01", rule: "assessment", status: "overdue", dueOn: "2026-04-16",
            daysLate: 15),
        Case(
            name: "assessment: brief work's Signs of Wellbeing meets it",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "brief"), allocate("2026-03-03"),
                E("engagement.started", "2026-03-05"),
                E("assessment.completed", "2026-03-20", ["kind": "signs-of-wellbeing"]),
            ],
            asOf: "2026-05-01", rule: "assessment", status: "met", dueOn: "2026-04-16"),
        Case(
            name: "plan: 6 weeks from engagement, four days late",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "targeted"), allocate("2026-03-03"),
                E("engagement.started", "2026-03-05"),
                plan("2026-04-20", reviewBy: "2026-06-01"),
            ],
            asOf: "2026-05-01", rule: "plan", status: "met-late", dueOn: "2026-04-16", daysLate: 4),
        Case(
            name: "review: every 12 weeks for intensive work", profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "intensive"), allocate("2026-03-03"),
                E("engagement.started", "2026-03-05"),
                plan("2026-03-10", reviewBy: "2026-06-01"),
            ],
            asOf: "2026-05-01", rule: "review", status: "open", dueOn: "2026-06-02"),
        // A level change recorded after a review but dated before it: the review was made at the new level, so
        // the next one is due by the new level's interval (valid time), not the one recorded first (log order).
        Case(
            name:
                "review: an escalation to intensive recorded late, dated before the review: next in 12 weeks",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "targeted"), allocate("2026-03-03"),
                E("engagement.started", "2026-03-05"),
                plan("2026-03-10", reviewBy: "2026-04-21"),
                E("review.completed", "2026-04-20", ["outcome": "continue"]),
                E("level.changed", "2026-04-01", ["level": "intensive", "reason": "escalation"]),
            ],
            asOf: "2026-06-15", rule: "review", status: "open", dueOn: "2026-07-13"),
        Case(
            name:
                "review: a de-escalation to targeted recorded late, dated before the review: next in 6 weeks",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "intensive"), allocate("2026-03-03"),
                E("engagement.started", "2026-03-05"),
                plan("2026-03-10", reviewBy: "2026-04-21"),
                E("review.completed", "2026-04-20", ["outcome": "continue"]),
                E("level.changed", "2026-04-01", ["level": "targeted", "reason": "de-escalation"]),
            ],
            asOf: "2026-06-15", rule: "review", status: "overdue", dueOn: "2026-06-01", daysLate: 14
        ),
        Case(
            name:
                "review: a level change dated after the review leaves its next review where it was",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "targeted"), allocate("2026-03-03"),
                E("engagement.started", "2026-03-05"),
                plan("2026-03-10", reviewBy: "2026-04-21"),
                E("review.completed", "2026-04-20", ["outcome": "continue"]),
                E("level.changed", "2026-04-22", ["level": "intensive", "reason": "escalation"]),
            ],
            asOf: "2026-06-15", rule: "review", status: "overdue", dueOn: "2026-06-01", daysLate: 14
        ),
        Case(
            name: "case-summary: 4 months after engagement", profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "targeted"), allocate("2026-03-03"),
                E("engagement.started", "2026-03-05"),
            ],
            asOf: "2026-07-06", rule: "case-summary", status: "overdue", dueOn: "2026-07-05"),
        Case(
            name: "duration: brief intervention at most 6 weeks",
            profile: "leicestershire-early-help",
            events: [triage("2026-03-02", level: "brief")],
            asOf: "2026-04-20", rule: "duration", status: "overdue", dueOn: "2026-04-13"),
        Case(
            name: "closure: targeted work closed without a review in the last 14 days",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "targeted"), allocate("2026-03-03"),
                E("engagement.started", "2026-03-05"),
                E("review.completed", "2026-04-01", ["outcome": "continue"]), close("2026-05-01"),
            ],
            asOf: "2026-05-02", rule: "closure-review", status: "breached", dueOn: "2026-05-01"),
        Case(
            name: "closure: minimum requirements all recorded",
            profile: "leicestershire-early-help",
            events: [
                triage("2026-03-02", level: "targeted"), allocate("2026-03-03"),
                E("engagement.started", "2026-03-05"),
            ]
                + [
                    "gp", "dentist", "childrens-centre", "early-education", "school-place",
                    "smoking-cessation", "young-carer-check",
                ].map {
                    E("requirement.met", "2026-04-01", ["requirement": .string($0)])
                }
                + [E("review.completed", "2026-04-25", ["outcome": "close"]), close("2026-05-01")],
            asOf: "2026-05-02", rule: "minimum-requirements", status: "met", dueOn: "2026-05-01"),
        // birmingham-family-support (002)
        Case(
            name: "step-down-entry: flagged when the plan was not completed",
            profile: "birmingham-family-support",
            events: [], asOf: "2026-03-03", rule: "step-down-entry", status: "breached",
            dueOn: "2026-03-02",
            referral: [
                "source": "social-care", "reason": "Step down from CiN",
                "members": [["id": "123456", "name": "Megan", "role": "child"]],
                "stepDown": ["from": "cin", "planCompleted": false, "closureSummary": true],
            ]),
        Case(
            name: "step-down-entry: met with plan, summary and consent",
            profile: "birmingham-family-support",
            events: [E("consent.recorded", "2026-03-03", ["scope": "service", "given": true])],
            asOf: "2026-03-04", rule: "step-down-entry",
            status: "met", dueOn: "2026-03-02",
            referral: [
                "source": "social-care", "reason": "Step down from CiN",
                "members": [["id": "123456", "name": "Megan", "role": "child"]],
                "stepDown": ["from": "cin", "planCompleted": true, "closureSummary": true],
            ]),
        Case(
            name: "cp-step-down: a CP plan stepping down straight to family support is flagged",
            profile: "birmingham-family-support",
            events: [], asOf: "2026-03-03", rule: "cp-step-down", status: "breached",
            dueOn: "2026-03-02",
            referral: [
                "source": "social-care", "reason": "Step down from CP",
                "members": [["id": "123456", "name": "Megan", "role": "child"]],
                "stepDown": ["from": "cp", "planCompleted": true, "closureSummary": true],
            ]),
        Case(
            name: "step-up: closed as stepped-up within 5 working days",
            profile: "birmingham-family-support",
            events: [
                E("stepup.decided", "2026-03-10", ["accepted": true], manager: true),
                close("2026-03-17", reason: "stepped-up"),
            ],
            asOf: "2026-03-20", rule: "step-up", status: "met", dueOn: "2026-03-17"),
    ]

    @Test("each rule's obligation, due date and status", arguments: cases)
    func rule(_ testCase: Case) throws {
        let scenario = try Scenario(
            profile: testCase.profile, referredOn: testCase.referredOn, referral: testCase.referral,
            testCase.events)
        // Recurring rules make one obligation per period: the latest started, in valid time (by the date of the
        // event that started it, then its seq), is the one in question (rows are in due order, and a period
        // re-timed by a late level change may fall due before the one it follows).
        let asOf = try #require(CivilDate(testCase.asOf))
        let started = Dictionary(
            try scenario.fold(EventWindow(asOf: asOf)).families.values
                .flatMap(\.episodes).flatMap(\.obligations).map { ($0.fromSeq, $0.fromDate) },
            uniquingKeysWith: { first, _ in first })
        func start(_ row: JSONObject) -> (CivilDate, Int) {
            let seq = Int(row.text("from") ?? "") ?? 0
            return (started[seq] ?? CivilDate(dayNumber: 0), seq)
        }
        let rows = try scenario.due(testCase.rule, asOf: testCase.asOf).sorted {
            start($0) > start($1)
        }
        let all = try scenario.reports(asOf: testCase.asOf).due().map {
            "\($0.text("rule") ?? ""):\($0.text("status") ?? "")"
        }
        let row = try #require(rows.first, "no \(testCase.rule) obligation; all: \(all)")
        #expect(row.text("status") == testCase.status, "\(row)")
        #expect(row.text("dueOn") == testCase.dueOn, "\(row)")
        if let late = testCase.daysLate { #expect(row.text("daysLate") == String(late)) }
        #expect(row.text("label")?.isEmpty == false)
        #expect(row.text("source")?.isEmpty == false)
        // `due --rule` accepts exactly the rule ids the adopted policies' obligations can carry: every row's.
        let ruleIDs = try scenario.fold().ruleIDs
        let rules = try scenario.reports(asOf: testCase.asOf).due().compactMap { $0.text("rule") }
        #expect(Set(rules).isSubset(of: ruleIDs), "\(Set(rules).subtracting(ruleIDs))")
    }
}

@Suite("Levels and Family Star readings in valid time")
struct LevelValidTimeTests {
    /// Work dated before the episode opened once started and met none of its clocks (folded after the referral,
    /// in log order). Every projection now takes events by date, where such work stands in no episode, so the
    /// writer refuses it (docs/EVENTS.md, "in valid time"; EpisodeDateTests has the rest, through the binary).
    @Test("work dated before the episode opened, in no earlier episode, is refused on occurredAt")
    func earlierEpisodeWork() throws {
        let ledger = try TestLedger(profile: "warwickshire-fsw")
        try ledger.append(Events.staff)
        try ledger.append([Events.referral("F-1", id: "ref-F-1", on: "2026-03-02")])
        let early = [
            PolicyRuleTests.plan("2026-02-20", kind: "fsw-action-plan", reviewBy: "2026-03-10"),
            E("visit.completed", "2026-02-25", ["kind": "joint-sw-fsw"]),
        ]
        for event in early {
            let refusal = try ledger.refusal(
                Events.line(
                    id: "early-\(event.type)", stream: "family:F-1", type: event.type,
                    on: event.date,
                    actor: "w-017", role: "fsw", data: event.data))
            #expect(refusal?.field == "occurredAt", "\(String(describing: refusal))")
            #expect(
                refusal?.rule
                    == "\(event.date) is before the referral that opened this episode (2026-03-02) and in no earlier episode: the family had no open episode then, so the event would stand in none (check the date)",
                "\(String(describing: refusal))")
        }
        // After the refusals the family's own work is accepted as before.
        let allocated = PolicyRuleTests.allocate("2026-03-03")
        #expect(
            try ledger.refusal(
                Events.line(
                    id: "alloc", stream: "family:F-1", type: allocated.type, on: allocated.date,
                    actor: "m-001", role: "team-manager", data: allocated.data)) == nil)
    }

    @Test(
        "the latest Family Star is the latest taken, not the latest recorded; the first, the earliest taken",
        arguments: [
            // A review of 15 April recorded after May's: May's stays the latest (PbR judges progress on it).
            ("2026-04-15", "ass", "rev-may"),
            // A review of 10 March, recorded last, before the assessment: it is the first reading.
            ("2026-03-10", "late", "rev-may"),
            // On the same day as May's: the one recorded later stands.
            ("2026-05-20", "ass", "late"),
        ])
    func starByDate(lateOn: String, first: String, latest: String) throws {
        let scenario = try Scenario(
            profile: "leicestershire-early-help", referredOn: "2026-03-02", referral: nil,
            [
                PolicyRuleTests.triage("2026-03-02", level: "targeted"),
                E(
                    "assessment.completed", "2026-03-20",
                    ["kind": "family-star", "familyStar": Events.star(3)], id: "ass"),
                E(
                    "review.completed", "2026-05-20",
                    ["outcome": "continue", "familyStar": Events.star(8)], id: "rev-may"),
                E(
                    "review.completed", lateOn,
                    ["outcome": "continue", "familyStar": Events.star(2)], id: "late"),
            ])
        let row = try #require(try scenario.reports(asOf: "2026-06-01").families().first)
        #expect(row["firstStar"]?.objectValue?["event"] == .string(first))
        #expect(row["latestStar"]?.objectValue?["event"] == .string(latest))
    }

    @Test("the family's level is the latest by date, however late a change is recorded")
    func latestByDate() throws {
        let scenario = try Scenario(
            profile: "leicestershire-early-help", referredOn: "2026-03-02", referral: nil,
            [
                PolicyRuleTests.triage("2026-03-02", level: "targeted"),
                E("level.changed", "2026-05-01", ["level": "intensive", "reason": "escalation"]),
                E("level.changed", "2026-04-01", ["level": "brief", "reason": "de-escalation"]),
            ])
        let levels = try ["2026-03-15", "2026-04-15", "2026-06-01"].map { asOf in
            try scenario.reports(asOf: asOf).families().first?.text("level")
        }
        #expect(levels == ["targeted", "brief", "intensive"])
    }
}
