import EventLog
import LedgerTestSupport
import Testing

/// A rule's warning point shows (POLICIES.md: a duration's `warnAt` gives its obligation a `warnOn` date and a
/// `warning` status; issue 21), through the binary: in `due`, its CSV, and the dashboard's due-soon list.
///
/// Strengthening Families (seed 003 §4.6: "a 16 week timescale should be the primary timescale ... any cases open
/// longer than 6 months should be reviewed with a team manager"), by hand, day 1 being the referral's day:
/// - F-31 referred Mon 2 Mar 2026 (day 1), triaged the same day at level `cin`, allocated 3 Mar.
/// - 16 weeks = 112 days after 2 Mar: Mon 22 Jun 2026, day 113, is `warnOn`. Day 111 is Sat 20 Jun, day 112 Sun
///   21 Jun: still `open`.
/// - 6 months after 2 Mar: Wed 2 Sep 2026 is `dueOn`; from 3 Sep, without a manager's supervision or extension
///   recorded after the warning point, `overdue`.
@Suite("ledger CLI: the 16-week warning (003 §4.6)", .serialized)
struct WarningCLITests {
    static func scenario() -> TimedLog {
        let log = TimedLog(profile: "strengthening-families", at: "2026-01-05T09:00:00Z")
        log.append(TimedLog.staff, at: "2026-01-05T09:05:00Z")
        log.append(
            [
                Events.referral("F-31", id: "ref-31", on: "2026-03-02", childID: "c-31"),
                TimedLog.event(
                    "tri-31", "F-31", "triage.completed", on: "2026-03-02", by: .manager,
                    ["outcome": 4, "priority": "high", "level": "cin"]),
                TimedLog.event(
                    "all-31", "F-31", "worker.allocated", on: "2026-03-03", by: .manager,
                    ["worker": "s-001", "relationship": "lead"]),
            ], at: "2026-03-03T17:00:00Z")
        return log
    }

    static let now = "2026-10-01T09:00:00Z"

    @Test(
        "due: open on day 111 and 112, warning from day 113 (22 Jun) to 2 Sep, overdue after (003 §4.6)",
        arguments: [
            ("2026-06-20", "open"), ("2026-06-21", "open"), ("2026-06-22", "warning"),
            ("2026-09-02", "warning"),
            ("2026-09-03", "overdue"),
        ])
    func due(asOf: String, status: String) {
        let log = Self.scenario()
        let rows = log.rows(["due", "--rule", "sixteen-weeks", "--as-of", asOf], at: Self.now)
        #expect(rows.count == 1)
        #expect(rows.first?.text(at: "status") == status)
        #expect(rows.first?.text(at: "warnOn") == "2026-06-22")
        #expect(rows.first?.text(at: "dueOn") == "2026-09-02")
        #expect(rows.first?.text(at: "source") == "003 §4.6")
        // --status warning finds it exactly when it is one.
        let warnings = log.rows(["due", "--status", "warning", "--as-of", asOf], at: Self.now)
        #expect(
            warnings.map { $0.text(at: "rule") } == (status == "warning" ? ["sixteen-weeks"] : []))
    }

    @Test("the CSV carries warnOn and the warning status on day 113, not on day 111 (003 §4.6)")
    func csv() {
        let log = Self.scenario()
        func line(_ asOf: String) -> (header: String, row: String) {
            let result = log.run(
                ["due", "--rule", "sixteen-weeks", "--as-of", asOf, "--format", "csv"], at: Self.now
            )
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\r\n").map(String.init)
            return (lines.first ?? "", lines.dropFirst().first ?? "")
        }
        let day113 = line("2026-06-22")
        #expect(
            day113.header.hasPrefix("family,episode,rule,label,source,from,dueOn,warnOn,status,"),
            "\(day113.header)")
        #expect(day113.row.contains(",2026-09-02,2026-06-22,warning,"), "\(day113.row)")
        #expect(line("2026-06-20").row.contains(",2026-09-02,2026-06-22,open,"))
    }

    @Test(
        "the dashboard lists it among what is due soon on day 113, not on day 111; due.csv the same (003 §4.6)"
    )
    func dashboard() {
        let log = Self.scenario()
        func rebuild(_ asOf: String) -> (index: String, csv: String) {
            let out = log.directory.file("site-\(asOf)")
            let result = log.run(["rebuild", "--out", out, "--as-of", asOf], at: Self.now)
            #expect(result.status == 0, "\(result.stderr)")
            return (
                String(decoding: readBytes(out + "/index.html"), as: UTF8.self),
                String(decoding: readBytes(out + "/due.csv"), as: UTF8.self)
            )
        }
        func dueSoon(_ index: String) -> Substring {
            guard let start = index.firstRange(of: "<h2 id=\"due-soon\">"),
                let end = index[start.upperBound...].firstRange(of: "</section>")
            else {
                return ""
            }
            return index[start.lowerBound..<end.lowerBound]
        }
        let day113 = rebuild("2026-06-22")
        let list = dueSoon(day113.index)
        #expect(list.contains("F-31") && list.contains("status-warning"), "\(list)")
        #expect(list.contains("(1)"))
        #expect(day113.csv.contains(",2026-09-02,2026-06-22,warning,"))
        let day111 = rebuild("2026-06-20")
        #expect(!dueSoon(day111.index).contains("F-31"), "\(dueSoon(day111.index))")
        #expect(dueSoon(day111.index).contains("None."))
        #expect(day111.csv.contains(",2026-09-02,2026-06-22,open,"))
    }
}
