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
