import EventLog
import LedgerTestSupport
import Testing

/// Birmingham Family Support (seed 002), worked by hand and run through the binary: the fourth profile's own
/// scenario beside those of 003 (the warning), 004 (corrections) and 000/001 (triage).
///
/// - F-41 steps down from CIN on Wed 1 Apr 2026 with a completed plan and no closure summary: the step-down entry
///   flag (002 §3 Step Down) is breached on the referral's day, "no closure summary".
/// - F-42 steps down from a child protection plan on Wed 1 Apr 2026 (plan, summary and consent all there): the CP
///   step-down flag (002 §2) is breached, the entry flag is not.
/// - F-43 is stepped up: accepted by the manager on Thu 21 May 2026. Five working days (002 §3 Step Up): Fri 22
///   May (1), Mon 25 May is the Spring bank holiday (not counted), Tue 26 (2), Wed 27 (3), Thu 28 (4), Fri 29 May
///   (5): due Fri 29 May 2026. Closed stepped-up on Mon 1 Jun: met late by 3 days (29 May → 1 Jun).
/// - F-44, the same decision on 21 May, closed stepped-up on Thu 28 May: met.
/// - Closures need a manager's sign-off (002 §3): an FSW closing F-44 without a closure.approved is refused.
@Suite("ledger CLI: a Birmingham scenario worked by hand (002)", .serialized)
struct BirminghamScenarioTests {
    static let profile = "birmingham-family-support"

    static func referral(_ ref: String, from: String, planCompleted: Bool, closureSummary: Bool)
        -> String
    {
        Events.line(
            id: "ref-\(ref)", stream: "family:\(ref)", type: "referral.received", on: "2026-04-01",
            actor: "m-001",
            role: "team-manager",
            data: [
                "source": "social-care", "reason": "Step down from social care",
                "members": [
                    [
                        "id": .string("c-\(ref)"), "name": "Child", "dob": "2016-05-01",
                        "role": "child",
                    ]
                ],
                "stepDown": [
                    "from": .string(from), "planCompleted": .bool(planCompleted),
                    "closureSummary": .bool(closureSummary),
                ],
            ])
    }

    static func stepUp(_ ref: String) -> [String] {
        [
            Events.referral(ref, id: "ref-\(ref)", on: "2026-05-04", childID: "c-\(ref)"),
            TimedLog.event(
                "req-\(ref)", ref, "stepup.requested", on: "2026-05-20",
                ["to": "social-care", "reason": "Escalating concerns"]),
            TimedLog.event(
                "dec-\(ref)", ref, "stepup.decided", on: "2026-05-21", by: .manager,
                ["accepted": true]),
        ]
    }

    static func scenario() -> TimedLog {
        let log = TimedLog(profile: profile, at: "2026-01-05T09:00:00Z")
        log.append(TimedLog.staff, at: "2026-01-05T09:05:00Z")
        log.append(
            [
                referral("F-41", from: "cin", planCompleted: true, closureSummary: false),
                referral("F-42", from: "cp", planCompleted: true, closureSummary: true),
                TimedLog.event(
                    "consent-F-42", "F-42", "consent.recorded", on: "2026-04-01",
                    ["scope": "service", "given": true]),
            ], at: "2026-04-01T17:00:00Z")
        log.append(stepUp("F-43") + stepUp("F-44"), at: "2026-05-21T17:00:00Z")
        log.append(
            [
                TimedLog.event(
                    "close-F-44", "F-44", "case.closed", on: "2026-05-28", by: .manager,
                    ["reason": "stepped-up"])
            ], at: "2026-05-28T17:00:00Z")
        log.append(
            [
                TimedLog.event(
                    "close-F-43", "F-43", "case.closed", on: "2026-06-01", by: .manager,
                    ["reason": "stepped-up"])
            ], at: "2026-06-01T17:00:00Z")
        return log
    }

    static let now = "2026-07-01T09:00:00Z"

    static func row(_ rows: [JSONObject], family: String, rule: String) -> JSONObject? {
        rows.first { $0["family"]?.stringValue == family && $0["rule"]?.stringValue == rule }
    }

    @Test("step-down entry and CP step-down are flagged on the referral's day (002 §3, §2)")
    func stepDownFlags() throws {
        let rows = Self.scenario().rows(["due", "--as-of", "2026-06-30"], at: Self.now)
        let entry = try #require(Self.row(rows, family: "F-41", rule: "step-down-entry"))
        #expect(entry["status"]?.stringValue == "breached")
        #expect(entry["dueOn"]?.stringValue == "2026-04-01")
        #expect(entry["detail"]?.stringValue == "no closure summary")
        #expect(entry["source"]?.stringValue == "002 §3 Step Down")
        let cp = try #require(Self.row(rows, family: "F-42", rule: "cp-step-down"))
        #expect(cp["status"]?.stringValue == "breached")
        #expect(cp["source"]?.stringValue == "002 §2")
        // F-42's plan and summary were complete and the family consented: its entry flag is not breached.
        #expect(
            Self.row(rows, family: "F-42", rule: "step-down-entry")?["status"]?.stringValue
                != "breached")
    }

    @Test(
        "step up: five working days over the Spring bank holiday, due Fri 29 May; met, and met late by 3 (002 §3)"
    )
    func stepUpDeadline() throws {
        let rows = Self.scenario().rows(
            ["due", "--rule", "step-up", "--as-of", "2026-06-30"], at: Self.now)
        let late = try #require(Self.row(rows, family: "F-43", rule: "step-up"))
        #expect(late["dueOn"]?.stringValue == "2026-05-29")
        #expect(late["status"]?.stringValue == "met-late")
        #expect(late["metOn"]?.stringValue == "2026-06-01")
        #expect(late["daysLate"]?.intValue == 3)
        let met = try #require(Self.row(rows, family: "F-44", rule: "step-up"))
        #expect(met["dueOn"]?.stringValue == "2026-05-29")
        #expect(met["status"]?.stringValue == "met")
        // As of Fri 29 May, F-43 is still open on its due day; on Sat 30 May it is overdue.
        let onTheDay = Self.scenario().rows(
            ["due", "--rule", "step-up", "--family", "F-43", "--as-of", "2026-05-29"], at: Self.now)
        #expect(onTheDay.first?["status"]?.stringValue == "open")
        let after = Self.scenario().rows(
            ["due", "--rule", "step-up", "--family", "F-43", "--as-of", "2026-05-30"], at: Self.now)
        #expect(after.first?["status"]?.stringValue == "overdue")
    }

    @Test("a closure needs a manager's sign-off: an FSW's case.closed is refused (002 §3)")
    func closureSignOff() {
        let log = TimedLog(profile: Self.profile, at: "2026-01-05T09:00:00Z")
        log.append(TimedLog.staff, at: "2026-01-05T09:05:00Z")
        log.append(
            [Events.referral("F-45", id: "ref-F-45", on: "2026-04-01")], at: "2026-04-01T17:00:00Z")
        let refused = Subprocess.ledger(
            ["append", "-", "--log", log.path], environment: ["LEDGER_NOW": "2026-04-02T17:00:00Z"],
            stdin: TimedLog.event(
                "close-F-45", "F-45", "case.closed", on: "2026-04-02", ["reason": "met-outcomes"])
                + "\n",
            in: log.directory)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("case.closed needs a manager"), "\(refused.stderr)")
    }
}
