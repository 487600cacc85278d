import EventLog
import Foundation
import LedgerCore
import LedgerTestSupport
import Projections
import Testing

/// Issue 20: tables as wide as the terminal (or `--wide`), never JSON in a table, and CSV with one value per cell
/// (lists joined by "; ", objects flattened into named columns), through the binary as a user runs it.
@Suite("ledger CLI: tables as wide as the terminal, CSV one value per cell, no JSON in either")
struct OutputFormatCLITests {
    /// Every command that takes `--format csv` (and `table`), as run on the demo log.
    static let commands: [[String]] = [
        ["families", "--as-of", "2026-11-23"], ["caseload", "--as-of", "2026-11-23"],
        ["due", "--as-of", "2026-11-23"], ["pbr", "--as-of", "2026-11-23"],
        ["monthly", "--month", "2026-10"], ["timeline", "F-1003"],
        ["retention", "--as-of", "2032-01-01"], ["access"], ["annex-a", "--as-of", "2026-11-23"],
    ]

    /// Runs `command` on the demo log (after a read, so that the access log has entries).
    static func demo(_ command: [String], format: String, extra: [String] = []) throws
        -> Subprocess.Result
    {
        let log = try DemoLog.path(families: 40)
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(["caseload", "--log", log], environment: now, in: directory)
        return Subprocess.ledger(
            command + ["--log", log, "--format", format] + extra, environment: now, in: directory)
    }

    static let now = ["LEDGER_NOW": "2026-11-23T12:00:00Z"]

    @Test(
        "no CSV cell holds JSON: no cell starts with { or [, every row as long as the header",
        arguments: commands)
    func csvHoldsNoJSON(command: [String]) throws {
        let result = try Self.demo(command, format: "csv")
        #expect(result.status == 0, "\(result.stderr)")
        let table = try CSVTable(bytes: Array(result.stdout.utf8))
        #expect(table.rows.count > 0, "the demo gives \(command[0]) rows")
        for row in table.rows {
            #expect(
                row.problem == nil && row.cells.count == table.header.count,
                "\(table.text(of: row))")
            for (column, cell) in zip(table.header, row.cells) {
                #expect(!cell.hasPrefix("{") && !cell.hasPrefix("["), "\(column): \(cell)")
            }
        }
        #expect(!table.header.contains(""), "every column named")
    }

    @Test("no table holds JSON", arguments: commands)
    func tableHoldsNoJSON(command: [String]) throws {
        for extra in [[], ["--wide"]] {
            let result = try Self.demo(command, format: "table", extra: extra)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(
                !result.stdout.contains("{\"") && !result.stdout.contains("[\""), "\(result.stdout)"
            )
            #expect(!result.stdout.contains("(none)"), "the demo gives \(command[0]) rows")
        }
    }

    /// A hand-made log: two workers (one half-time), one family referred, triaged, allocated, engaged, assessed
    /// with a Family Star and closed; its members a child with a date of birth and a parent without.
    static func handMade() throws -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory()
        let log = directory.file("ledger.jsonl")
        let made = Subprocess.ledger(
            ["init", "--log", log, "--system", "hr:hr-feed", "--system", "dm:data-matching"],
            environment: CLIWriteTests.now, in: directory)
        try #require(made.status == 0, "\(made.stderr)")
        let family = "\"stream\":\"family:F-1\""
        let manager = "\"actor\":{\"id\":\"m-001\",\"role\":\"team-manager\"}"
        let worker = "\"actor\":{\"id\":\"w-017\",\"role\":\"fsw\"}"
        let lines = [
            #"{"id":"reg-w-017","stream":"worker:w-017","type":"worker.registered","occurredAt":"2025-01-06","actor":{"id":"hr","role":"system"},"data":{"name":"Sam Patel","role":"fsw","team":"north","fte":0.5}}"#,
            #"{"id":"reg-m-001","stream":"worker:m-001","type":"worker.registered","occurredAt":"2025-01-06","actor":{"id":"hr","role":"system"},"data":{"name":"Jo Khan","role":"team-manager","team":"north","fte":1}}"#,
            #"{"id":"ref-F-1",\#(family),"type":"referral.received","occurredAt":"2026-02-02",\#(manager),"data":{"source":"school","reason":"Attendance, and \"sleep\"","criteria":["education","health"],"members":[{"id":"c-1","name":"Megan Jones","dob":"2015-04-01","role":"child"},{"id":"p-1","name":"Ann Jones","role":"parent"}]}}"#,
            #"{"id":"tri-F-1",\#(family),"type":"triage.completed","occurredAt":"2026-02-03",\#(manager),"data":{"outcome":4,"priority":"medium","level":"targeted"}}"#,
            #"{"id":"all-F-1",\#(family),"type":"worker.allocated","occurredAt":"2026-02-04",\#(manager),"data":{"worker":"w-017","relationship":"lead"}}"#,
            #"{"id":"eng-F-1",\#(family),"type":"engagement.started","occurredAt":"2026-02-06",\#(worker),"data":{}}"#,
            #"{"id":"ass-F-1",\#(family),"type":"assessment.completed","occurredAt":"2026-02-20",\#(worker),"data":{"kind":"family-star","familyStar":{"physicalHealth":3,"wellbeing":4,"emotionalNeeds":5,"keepingSafe":6,"socialNetworks":7,"education":2,"boundaries":3,"routine":4,"progressToWork":5,"homeAndMoney":6}}}"#,
            #"{"id":"clo-F-1",\#(family),"type":"case.closed","occurredAt":"2026-03-10",\#(manager),"data":{"reason":"met-outcomes"}}"#,
        ]
        let appended = Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: lines.joined(separator: "\n") + "\n", in: directory)
        try #require(appended.status == 0, "\(appended.stderr)")
        return (directory, log)
    }

    static func run(_ arguments: [String], _ log: String, in directory: TemporaryDirectory)
        -> String
    {
        let result = Subprocess.ledger(
            arguments + ["--log", log, "--as-of", "2026-03-31"], environment: CLIWriteTests.now,
            in: directory)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return result.stdout
    }

    @Test(
        "a CSV has its projection's columns whatever the rows: a log with no family yet has the header alone",
        arguments: [
            (["families"], Reports.familyColumns), (["pbr"], Reports.pbrColumns),
            (["due"], Reports.obligationColumns), (["caseload"], Reports.caseloadColumns),
        ])
    func headerWithoutRows(command: [String], columns: [String]) throws {
        let (directory, log) = CLIWriteTests.initialized()
        let empty = Self.run(command + ["--format", "csv"], log, in: directory)
        #expect(empty == columns.joined(separator: ",") + "\r\n")
        let (handMadeDirectory, handMade) = try Self.handMade()
        let full = Self.run(command + ["--format", "csv"], handMade, in: handMadeDirectory)
        #expect(full.hasPrefix(columns.joined(separator: ",") + "\r\n"))
    }

    @Test("a hand-made log's CSV, exactly: lists joined by \"; \", objects in named columns")
    func handMadeCSV() throws {
        let (directory, log) = try Self.handMade()
        let star: [String] = ["event", "on"] + FamilyStar.domains.map { "scores.\($0)" }
        let families = Self.run(["families", "--format", "csv"], log, in: directory)
        let starColumns: [String] = star.map { "latestStar.\($0)" } + star.map { "firstStar.\($0)" }
        let header: String =
            "family,ufrn,status,level,episode,openedOn,closedOn,closeReason,lead,workers,members.id,"
            + "members.name,members.dob,members.role,youngestChild,"
            + starColumns.joined(separator: ",")
            + ",nextReviewBy,requirementsMet,criteria,reReferral,awaitingTriageDays"
        let row: String =
            "F-1,,closed,targeted,1,2026-02-02,2026-03-10,met-outcomes,w-017,w-017,c-1; p-1,"
            + "Megan Jones; Ann Jones,2015-04-01; ,child; parent,c-1,"
            + "ass-F-1,2026-02-20,3,4,5,6,7,2,3,4,5,6,ass-F-1,2026-02-20,3,4,5,6,7,2,3,4,5,6,,,"
            + "education; health,false,"
        #expect(families == header + "\r\n" + row + "\r\n")
        let caseload = Self.run(["caseload", "--format", "csv"], log, in: directory)
        #expect(
            caseload
                == """
                worker,name,role,team,fte,families,children,limit.min,limit.max,limit.unit,status\r
                m-001,Jo Khan,team-manager,north,1,0,0,,,,\r
                w-017,Sam Patel,fsw,north,0.5,0,0,5,7.5,families,under\r

                """)
        let pbr = Self.run(["pbr", "--format", "csv"], log, in: directory)
        #expect(
            pbr
                == """
                family,level,criteria,criteriaNeeded,attached,progress.crime-asb.status,progress.crime-asb.evidence,progress.education.status,progress.education.evidence,progress.children-need-help.status,progress.children-need-help.evidence,progress.worklessness.status,progress.worklessness.evidence,progress.domestic-abuse.status,progress.domestic-abuse.evidence,progress.health.status,progress.health.evidence,employment.event,employment.memberId,employment.adult,employment.benefit,employment.continuousWeeks,employment.weeksNeeded,employment.qualifies,claimable,claimed,claimChecks\r
                F-1,targeted,education; health,2,true,met,,unknown,,not-met,ass-F-1,not-met,ass-F-1,not-met,ass-F-1,not-met,ass-F-1,,,,,,,,attachment,,\r

                """)
        // Monthly's columns are the same every month (every closure reason of the catalogue, every timed rule of
        // the policy), so one month's file lines up with the next; a count the month has none of is 0.
        let monthly = Self.run(
            ["monthly", "--month", "2026-03", "--format", "csv"], log, in: directory)
        let rules = [
            "action-plan", "allocate", "duration", "joint-visit", "plan-review", "quarterly-review",
            "step-down-exit", "step-up-transition", "triage", "twelve-week-panel",
        ]
        let monthlyHeader =
            "month,referrals,reReferrals,allocations,"
            + CaseClosure.reasons.map { "closures.\($0)," }.joined()
            + "closuresTotal,stepUps,stepDowns,openAtMonthEnd,meanDaysOpenAtClosure,"
            + rules.map { "timeliness.\($0).onTime,timeliness.\($0).due," }.joined()
            + "meanStarChange"
        let march =
            "2026-03,0,0,0,1" + String(repeating: ",0", count: CaseClosure.reasons.count - 1)
            + ",1,0,0,0,36" + String(repeating: ",0", count: rules.count * 2) + ","
        #expect(monthly == monthlyHeader + "\r\n" + march + "\r\n")
        let february = Self.run(
            ["monthly", "--month", "2026-02", "--format", "csv"], log, in: directory)
        #expect(february.hasPrefix(monthlyHeader + "\r\n2026-02,1,0,1,0,"), "\(february)")
        // Timeline's columns hold a correction and a void whether or not the family has any.
        let timeline = Self.run(["timeline", "F-1", "--format", "csv"], log, in: directory)
        #expect(
            timeline.hasPrefix(
                """
                seq,id,occurredAt,recordedAt,actor.id,actor.role,type,text,corrected.by,corrected.seq,corrected.reason,corrected.original,voided.by,voided.seq,voided.reason\r
                6,ref-F-1,2026-02-02,2026-11-23T12:00:00Z,m-001,team-manager,referral.received,"Referral from school: Attendance, and ""sleep"" (1 child) (Team manager Jo Khan)",,,,,,,\r

                """), "\(timeline)")
        // The dashboard's CSV files are the same bytes.
        let site = directory.file("site")
        _ = Self.run(["rebuild", "--out", site], log, in: directory)
        #expect(String(decoding: readBytes(site + "/families.csv"), as: UTF8.self) == families)
        #expect(String(decoding: readBytes(site + "/pbr.csv"), as: UTF8.self) == pbr)
        #expect(String(decoding: readBytes(site + "/caseload.csv"), as: UTF8.self) == caseload)
        let months = String(decoding: readBytes(site + "/monthly.csv"), as: UTF8.self)
        #expect(months.hasPrefix(monthlyHeader + "\r\n"))
        #expect(months.contains("\r\n" + march + "\r\n"))
    }

    @Test(
        "monthly as a table: closures by reason and timeliness per rule as lines under their figure"
    )
    func monthlyTable() throws {
        let log = try DemoLog.path(families: 40)
        let directory = TemporaryDirectory()
        let result = Subprocess.ledger(
            ["monthly", "--month", "2026-10", "--log", log, "--format", "table"],
            environment: Self.now,
            in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let closures = try #require(lines.firstIndex { $0.hasPrefix("closures ") })
        #expect(lines[closures + 1].hasPrefix("  "), "a reason under the total: \(result.stdout)")
        #expect(!lines.contains { $0.hasPrefix("closuresTotal") })
        let timeliness = try #require(lines.firstIndex { $0.hasPrefix("timeliness ") })
        #expect(lines[timeliness].hasSuffix("on time, of those due"))
        #expect(
            lines[timeliness + 1].range(
                of: #"^  [a-z-]+ +[0-9]+ of [0-9]+$"#, options: .regularExpression)
                != nil, "\(lines[timeliness + 1])")
    }

    @Test("a table is as wide as the terminal ($COLUMNS when not one); --wide never cuts")
    func width() throws {
        let log = try DemoLog.path(families: 40)
        let directory = TemporaryDirectory()
        func lines(_ extra: [String], columns: String?) -> [Substring] {
            let result = Subprocess.ledger(
                ["due", "--log", log, "--format", "table", "--as-of", "2026-11-23"] + extra,
                environment: Self.now.merging(columns.map { ["COLUMNS": $0] } ?? [:]) { $1 },
                in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n")
        }
        let longest = "First contact with the family within the triage outcome's timescale"
        for width in [100, 140] {
            let table = lines([], columns: String(width))
            #expect(table.allSatisfy { $0.count <= width }, "\(width)")
            #expect(table.contains { $0.count == width }, "the table uses the width it has")
            #expect(
                table.contains { $0.hasSuffix("…") } && !table.contains { $0.hasSuffix(longest) })
        }
        // No terminal and no $COLUMNS: 100.
        #expect(lines([], columns: nil).map(\.count).max() == 100)
        // Wide enough, or --wide: nothing cut.
        for table in [lines([], columns: "400"), lines(["--wide"], columns: "60")] {
            #expect(
                table.contains { $0.hasSuffix(longest) } && !table.contains { $0.contains("…") })
        }
    }
}
