import EventLog
import LedgerTestSupport
import Testing

/// Corrections on the two time axes (EVENTS.md, Corrections; issue 21), through the binary: on `--as-of` a
/// correction applies to its target at the target's date, so February re-run in April shows February as we now
/// know it; on `--known-at` it counts only once recorded, so `--known-at` the moment February's report was made
/// reproduces it, byte for byte. The same through checkpoints made before the correction.
///
/// The scenario, Leicestershire (seed 004), by hand:
/// - F-21 referred Mon 2 Feb 2026 with criteria education and crime-asb (§23: the national two); triaged 3 Feb
///   (outcome 6, targeted), allocated 4 Feb, engaged 9 Feb; the data-matching feed records the child's attendance
///   (5 Jan–13 Feb) on 20 Feb as 85%, below the 90% of §23 ("work with all families to achieve 90% school
///   attendance"); the case is closed `withdrawn` on Thu 26 Feb. All of it recorded at 17:00 on Fri 27 Feb.
/// - February's reports are made at 10:00 on Sat 28 Feb: education not met (85 < 90), so only the attachment is
///   claimable; February's closures are one `withdrawn`.
/// - On Tue 10 Mar two corrections are recorded: the attendance was 95% (a typing error), and the closure's
///   reason was `met-outcomes`.
/// - Asked in April as of 28 Feb: education met (95 ≥ 90, and crime-asb met: no offence in the 6 months before
///   28 Feb), so progress is claimable too; February's closures are one `met-outcomes`. Asked as of 28 Feb known
///   at 10:00 on 28 Feb: exactly what was printed then.
@Suite("ledger CLI: corrections on the valid-time and transaction-time axes", .serialized)
struct ValidTimeCLITests {
    static let february = "2026-02-27T17:00:00Z"
    static let reportSent = "2026-02-28T10:00:00Z"
    static let march = "2026-03-10T10:00:00Z"
    static let april = "2026-04-15T09:00:00Z"

    static func scenario() -> TimedLog {
        let log = TimedLog(profile: "leicestershire-early-help", at: "2026-01-05T09:00:00Z")
        log.append(TimedLog.staff, at: "2026-01-05T09:05:00Z")
        log.append(
            [
                Events.referral(
                    "F-21", id: "ref-21", on: "2026-02-02", childID: "c-21",
                    criteria: ["education", "crime-asb"]),
                TimedLog.event(
                    "tri-21", "F-21", "triage.completed", on: "2026-02-03", by: .manager,
                    ["outcome": 6, "priority": "medium", "level": "targeted"]),
                TimedLog.event(
                    "all-21", "F-21", "worker.allocated", on: "2026-02-04", by: .manager,
                    ["worker": "w-017", "relationship": "lead"]),
                TimedLog.event("eng-21", "F-21", "engagement.started", on: "2026-02-09"),
                TimedLog.event(
                    "att-21", "F-21", "attendance.recorded", on: "2026-02-20", by: .system,
                    ["memberId": "c-21", "from": "2026-01-05", "to": "2026-02-13", "percent": 85]),
                TimedLog.event(
                    "close-21", "F-21", "case.closed", on: "2026-02-26", by: .manager,
                    ["reason": "withdrawn"]),
            ], at: february)
        return log
    }

    static func correct(_ log: TimedLog) {
        log.append(
            [
                TimedLog.event(
                    "fix-att-21", "F-21", "event.corrected", on: "2026-03-10", by: .system,
                    [
                        "target": "att-21", "reason": "typing error: 95, not 85",
                        "data": [
                            "memberId": "c-21", "from": "2026-01-05", "to": "2026-02-13",
                            "percent": 95,
                        ],
                    ]),
                TimedLog.event(
                    "fix-close-21", "F-21", "event.corrected", on: "2026-03-10", by: .manager,
                    [
                        "target": "close-21", "reason": "closed having met its outcomes",
                        "data": ["reason": "met-outcomes"],
                    ]),
            ], at: march)
    }

    static let pbr = ["pbr", "--as-of", "2026-02-28", "--format", "json"]
    static let monthly = ["monthly", "--month", "2026-02", "--format", "json"]

    static func education(_ output: String) -> String? {
        (try? JSONParser.parse(output))?.arrayValue?.first?.objectValue?.text(
            at: "progress.education.status")
    }

    static func claimable(_ output: String) -> String? {
        (try? JSONParser.parse(output))?.arrayValue?.first?.objectValue?.text(at: "claimable")
    }

    static func closures(_ output: String) -> String? {
        (try? JSONParser.parse(output))?.arrayValue?.first?.objectValue?.text(at: "closures")
    }

    @Test(
        "February re-run in April shows February as now known; --known-at the report's moment reproduces it (004 §23)"
    )
    func februaryAsNowKnown() {
        let log = Self.scenario()
        let sentPBR = log.run(Self.pbr, at: Self.reportSent)
        let sentMonthly = log.run(Self.monthly, at: Self.reportSent)
        #expect(Self.education(sentPBR.stdout) == "not-met")
        #expect(Self.claimable(sentPBR.stdout) == #"["attachment"]"#)
        #expect(Self.closures(sentMonthly.stdout) == #"{"withdrawn":1}"#)
        Self.correct(log)
        for scratch in [[], ["--from-scratch"]] {
            let pbr = log.run(Self.pbr + scratch, at: Self.april)
            #expect(Self.education(pbr.stdout) == "met", "\(scratch)")
            #expect(Self.claimable(pbr.stdout) == #"["attachment","progress"]"#, "\(scratch)")
            #expect(
                Self.closures(log.run(Self.monthly + scratch, at: Self.april).stdout)
                    == #"{"met-outcomes":1}"#, "\(scratch)")
            // Known at the moment February's reports were made: the same bytes as then.
            let known = ["--known-at", Self.reportSent]
            #expect(
                log.run(Self.pbr + known + scratch, at: Self.april).stdout == sentPBR.stdout,
                "\(scratch)")
            #expect(
                log.run(Self.monthly + known + scratch, at: Self.april).stdout
                    == sentMonthly.stdout, "\(scratch)")
        }
        // The timeline as of 28 Feb reads the attendance as corrected, marked; known at 28 Feb, as it stood.
        let timeline = ["timeline", "F-21", "--as-of", "2026-02-28", "--format", "json"]
        let now =
            (try? JSONParser.parse(log.run(timeline, at: Self.april).stdout))?.arrayValue?
            .compactMap(\.objectValue) ?? []
        let attendance = now.first { $0["id"]?.stringValue == "att-21" }
        #expect(
            attendance?.text(at: "text")?.contains("95%") == true,
            "\(String(describing: attendance))")
        #expect(attendance?.text(at: "corrected")?.contains("typing error") == true)
        #expect(
            !now.contains { $0["id"]?.stringValue == "fix-att-21" },
            "the correction itself happened after 28 Feb")
        let then =
            (try? JSONParser.parse(
                log.run(timeline + ["--known-at", Self.reportSent], at: Self.april).stdout))?
            .arrayValue?.compactMap(\.objectValue) ?? []
        let original = then.first { $0["id"]?.stringValue == "att-21" }
        #expect(
            original?.text(at: "text")?.contains("85%") == true, "\(String(describing: original))")
        #expect(original?["corrected"] == nil)
    }

    @Test(
        "a checkpoint made before the correction does not answer an --as-of the correction changes (004 §23)"
    )
    func checkpointBeforeCorrection() {
        let log = Self.scenario()
        // February's reports, and a rebuild, keep checkpoints of every scope at the log's head.
        let sentPBR = log.run(Self.pbr, at: Self.reportSent, trace: true)
        #expect(sentPBR.stderr.contains("checkpoint families: kept"), "\(sentPBR.stderr)")
        let sentMonthly = log.run(Self.monthly, at: Self.reportSent, trace: true)
        #expect(sentMonthly.stderr.contains("checkpoint all: kept"), "\(sentMonthly.stderr)")
        #expect(
            log.run(Self.pbr, at: Self.reportSent, trace: true).stderr.contains(
                "checkpoint families: used"))
        Self.correct(log)
        let pbr = log.run(Self.pbr, at: Self.april, trace: true)
        #expect(
            pbr.stderr.contains(
                "checkpoint families: not used: an event after it corrects or voids one before it"),
            "\(pbr.stderr)")
        #expect(Self.education(pbr.stdout) == "met")
        #expect(pbr.stdout == log.run(Self.pbr + ["--from-scratch"], at: Self.april).stdout)
        let monthly = log.run(Self.monthly, at: Self.april, trace: true)
        #expect(
            monthly.stderr.contains(
                "checkpoint all: not used: an event after it corrects or voids one before it"),
            "\(monthly.stderr)")
        #expect(Self.closures(monthly.stdout) == #"{"met-outcomes":1}"#)
        #expect(monthly.stdout == log.run(Self.monthly + ["--from-scratch"], at: Self.april).stdout)
        // A fold that left out the corrections' own lines (as of 28 Feb) is not kept as a checkpoint; asked
        // again, the answer is the same, and known at the report's moment still reproduces it.
        #expect(log.run(Self.pbr, at: Self.april).stdout == pbr.stdout)
        #expect(
            log.run(Self.pbr + ["--known-at", Self.reportSent], at: Self.april).stdout
                == sentPBR.stdout)
        #expect(
            log.run(Self.monthly + ["--known-at", Self.reportSent], at: Self.april).stdout
                == sentMonthly.stdout)
        // Today (no --as-of) a new checkpoint is kept, the corrections in it; as of 28 Feb the answer stands.
        let today = log.run(["pbr", "--format", "json"], at: Self.april, trace: true)
        #expect(Self.education(today.stdout) == "met")
        let again = log.run(Self.pbr, at: Self.april, trace: true)
        #expect(again.stdout == pbr.stdout)
    }
}
