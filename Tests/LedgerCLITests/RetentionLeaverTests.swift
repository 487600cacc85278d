import EventLog
import LedgerTestSupport
import Testing

/// A child who left the family is still in its record, so their date of birth still decides how long the record is
/// kept (DATA-PROTECTION.md: DOB+25 of the youngest child, CASE+6). Found by an adversarial run: a family was
/// listed as due in 2026 while the child who had left is 25 only in 2040.
@Suite("Retention counts a child who left")
struct RetentionLeaverTests {
    @Test("a child born 2015 who left: kept until 2040, not 6 years after the 2020 closure")
    func leaverCounts() {
        let log = TimedLog(profile: "warwickshire-fsw", at: "2026-01-05T09:00:00Z")
        log.append(TimedLog.staff, at: "2026-01-05T09:05:00Z")
        let members: JSONValue = [
            ["id": "old", "name": "Elder", "dob": "2000-01-01", "role": "child"],
            ["id": "kb2", "name": "Younger", "dob": "2015-03-01", "role": "child"],
        ]
        log.append(
            [
                Events.line(
                    id: "ref-FB", stream: "family:FB", type: "referral.received", on: "2019-02-01",
                    actor: "m-001",
                    role: "team-manager",
                    data: ["source": "school", "reason": "Attendance", "members": members]),
                TimedLog.event(
                    "left-kb2", "FB", "family.member.left", on: "2019-06-01", ["memberId": "kb2"]),
                TimedLog.event(
                    "close-FB", "FB", "case.closed", on: "2020-06-01", by: .manager,
                    ["reason": "met-outcomes"]),
            ], at: "2026-01-06T17:00:00Z")
        let in2027 = log.rows(["retention", "--as-of", "2027-01-01"], at: "2027-01-01T09:00:00Z")
        #expect(
            !in2027.contains {
                $0["family"]?.stringValue == "FB" && $0["status"]?.stringValue == "due"
            }, "\(in2027)")
        let in2040 = log.rows(["retention", "--as-of", "2040-03-02"], at: "2040-03-02T09:00:00Z")
        let row = in2040.first { $0["family"]?.stringValue == "FB" }
        #expect(row?["status"]?.stringValue == "due", "\(in2040)")
    }
}

/// A hold or an outcome names a family the log has: a mistyped ref would hold no one while the real family is
/// redacted (found by an adversarial run: a hold on F-1O2, letter O, left F-102 unheld and redacted).
@Suite("Holds and outcomes name a referred family")
struct PhantomFamilyTests {
    @Test(
        "a hold, an attendance or a note on a family never referred is refused, naming the ref; on the real one, taken",
        arguments: [
            ("hold.placed", TimedLog.Actor.manager, ["reason": "Inquiry letter"] as JSONValue),
            (
                "attendance.recorded", .system,
                ["memberId": "c-1", "from": "2026-01-05", "to": "2026-02-05", "percent": 91]
                    as JSONValue
            ),
            ("note.recorded", .worker, ["subject": "Call", "body": "No answer"] as JSONValue),
        ])
    func phantom(type: String, actor: TimedLog.Actor, data: JSONValue) {
        let log = TimedLog(profile: "warwickshire-fsw", at: "2026-01-05T09:00:00Z")
        log.append(TimedLog.staff, at: "2026-01-05T09:05:00Z")
        log.append(
            [
                Events.line(
                    id: "ref-F-102", stream: "family:F-102", type: "referral.received",
                    on: "2026-01-05",
                    actor: "m-001", role: "team-manager",
                    data: [
                        "source": "school", "reason": "Attendance",
                        "members": [
                            ["id": "c-1", "name": "Child", "dob": "2015-03-01", "role": "child"]
                        ],
                    ])
            ], at: "2026-01-06T09:00:00Z")
        let before = readBytes(log.path)
        let mistyped = Subprocess.ledger(
            ["append", "-", "--log", log.path], environment: ["LEDGER_NOW": "2026-02-10T09:00:00Z"],
            stdin: TimedLog.event("x-1", "F-1O2", type, on: "2026-02-09", by: actor, data) + "\n",
            in: log.directory)
        #expect(mistyped.status == 1)
        #expect(
            mistyped.stderr.contains(
                "family F-1O2 has no referral in the log: \(type) must name a family"),
            "\(mistyped.stderr)")
        #expect(readBytes(log.path) == before)
        log.append(
            [TimedLog.event("x-2", "F-102", type, on: "2026-02-09", by: actor, data)],
            at: "2026-02-10T09:00:00Z")
    }
}
