import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// Untriaged referrals have a clock (issue 21): no seed sets a referral-to-triage timescale (001 §6.2.1: "All
/// referrals will be triaged by the Early Help Officer", with no time given), so `families` shows the days since
/// the referral and `due` an open "triage" item with its age, never judged late; a policy may set a limit, and
/// then the item is a deadline like any other.
///
/// By hand: F-41 referred Mon 2 Mar 2026. As of Mon 16 Mar it has waited 14 days. Triaged Fri 20 Mar: the item is
/// gone and the families row no longer counts. Under a policy with `triage.within` "2 working days": due Wed 4
/// Mar (Tue 3 Mar is the 1st working day after, Wed 4 Mar the 2nd), overdue on 16 Mar by 12 days; met late on 20
/// Mar, 16 days late.
@Suite("ledger CLI: untriaged referrals show their age (001 §6.2.1)", .serialized)
struct TriageClockCLITests {
    static let now = "2026-04-01T09:00:00Z"

    static func log(policy: String = "warwickshire-fsw", triaged: Bool) -> TimedLog {
        let log = TimedLog(profile: policy, at: "2026-01-05T09:00:00Z")
        log.append(TimedLog.staff, at: "2026-01-05T09:05:00Z")
        log.append(
            [Events.referral("F-41", id: "ref-41", on: "2026-03-02", childID: "c-41")],
            at: "2026-03-02T15:00:00Z")
        if triaged {
            log.append(
                [
                    TimedLog.event(
                        "tri-41", "F-41", "triage.completed", on: "2026-03-20", by: .manager,
                        ["outcome": 4, "priority": "high", "level": "complex"])
                ], at: "2026-03-20T15:00:00Z")
        }
        return log
    }

    @Test(
        "families and due show the referral's age, open and not late, where the policy sets no limit (001 §6.2.1)"
    )
    func noLimit() {
        let log = Self.log(triaged: true)
        let family = log.rows(["families", "--as-of", "2026-03-16"], at: Self.now).first
        #expect(family?.text(at: "status") == "referred")
        #expect(family?.text(at: "awaitingTriageDays") == "14")
        let due = log.rows(["due", "--rule", "triage", "--as-of", "2026-03-16"], at: Self.now)
        #expect(due.count == 1)
        #expect(due.first?.text(at: "status") == "open")
        #expect(due.first?.text(at: "daysLate") == "0")
        #expect(due.first?["dueOn"] == .null)
        #expect(due.first?.text(at: "source") == "001 §6.2.1")
        #expect(
            due.first?.text(at: "detail")?.contains(
                "awaiting triage 14 days after the referral on 2026-03-02") == true,
            "\(String(describing: due.first))")
        #expect(
            log.rows(["due", "--overdue", "--as-of", "2026-03-16"], at: Self.now).isEmpty,
            "never judged late")
        // Triaged on 20 Mar: no item, no count.
        #expect(
            log.rows(["due", "--rule", "triage", "--as-of", "2026-03-20"], at: Self.now).isEmpty)
        #expect(
            log.rows(["families", "--as-of", "2026-03-20"], at: Self.now).first?[
                "awaitingTriageDays"] == .null)
        // The CSV shows the item with an empty due date and its age.
        let csv = log.run(
            ["due", "--rule", "triage", "--as-of", "2026-03-16", "--format", "csv"], at: Self.now
        ).stdout
        #expect(csv.contains(",7,,,open,,0,,awaiting triage 14 days"), "\(csv)")
    }

    @Test(
        "a policy may set a limit: triage within 2 working days, overdue and met late as any deadline (001 §6.2.1)"
    )
    func withLimit() throws {
        let text = try #require(PolicyProfiles.document("warwickshire-fsw"))
        var document = try #require(try JSONParser.parse(text).objectValue)
        document["name"] = "warwickshire-fsw-triage-limit"
        document["triage"] = [
            "id": "triage", "label": "Referral triaged within 2 working days",
            "within": "2 working days",
            "source": "local rule",
        ]
        let directory = TemporaryDirectory()
        let file = directory.file("policy.json")
        writeBytes(Array(JSONWriter.string(.object(document)).utf8), to: file)
        let log = Self.log(policy: file, triaged: true)
        let open = log.rows(["due", "--rule", "triage", "--as-of", "2026-03-16"], at: Self.now)
        #expect(open.count == 1)
        #expect(open.first?.text(at: "dueOn") == "2026-03-04")
        #expect(open.first?.text(at: "status") == "overdue")
        #expect(open.first?.text(at: "daysLate") == "12")
        let met = log.rows(["due", "--rule", "triage", "--as-of", "2026-03-31"], at: Self.now)
        #expect(met.first?.text(at: "status") == "met-late")
        #expect(met.first?.text(at: "daysLate") == "16")
        // The families row still shows the wait while it lasts.
        #expect(
            log.rows(["families", "--as-of", "2026-03-16"], at: Self.now).first?.text(
                at: "awaitingTriageDays") == "14")
    }
}
