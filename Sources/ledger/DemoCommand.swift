import EventLog
import LedgerCore
import LedgerDemo
import LedgerEngine
import LedgerQueries
import Projections

/// `ledger demo`: a realistic synthetic log written through the real append path, then rebuilt.
enum DemoCommand {
    static let command = CommandRunner.Command(
        name: "demo", summary: "write a realistic synthetic log and its dashboard: the quick start",
        help: help, run: run)

    static let help = """
        usage: ledger demo [--families N] [--seed S] [--out DIR] [--today DATE]

        Writes a synthetic log (a registered workforce; families moving through referral, triage, allocation,
        contact attempts, engagement, assessments, plans, visits, reviews, step-ups, step-downs, closures,
        re-referrals and outcomes; some late work and some corrections) through the real append path, under the
        leicestershire-early-help policy, then rebuilds every projection and the dashboard.
          --families N   how many families over the year (default 300)
          --seed S       the same seed gives the same log (default 1)
          --out DIR      where to write (default ./demo): DIR/ledger.jsonl and DIR/dashboard/index.html
          --today DATE   the demo's "today" (default 2026-11-23): the year of work ends there
        The demo's salts come from the seed so that the log is reproducible: fine for synthetic data, never
        for real case data (real appends use the system's random source).
        """

    static func run(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(raw, flags: [], known: ["families", "seed", "out", "today"])
        let families = try arguments.integer("families") ?? 300
        guard (1...1_000_000).contains(families) else {
            throw UsageError(message: "--families must be 1 to 1000000")
        }
        let seedText = arguments.value("seed") ?? "1"
        guard let seed = UInt64(seedText) else {
            throw UsageError(message: "--seed must be a whole number")
        }
        let todayText = arguments.value("today") ?? "2026-11-23"
        guard let today = CivilDate(todayText) else {
            throw UsageError(message: "--today must be YYYY-MM-DD")
        }
        let out = arguments.value("out") ?? "demo"
        let log = "\(out)/ledger.jsonl"
        let marker = "\(out)/.ledger-demo"
        try FileOutput.makeDirectory(out)
        if LedgerFile(path: log).exists {
            guard FileOutput.size(marker) != nil else {
                throw UsageError(
                    message: "\(log) exists and was not made by ledger demo; choose another --out")
            }
            // A previous demo: start again.
            DerivedFiles.removeLog(log)
        }
        try FileOutput.writeAtomically(Array("made by ledger demo\n".utf8), to: marker)

        Console.progress("demo: generating \(families) families", stage: true)
        let scenario = DemoScenario(families: families, seed: seed, today: today)
        let (appended, refusals) = try scenario.record(into: log, seed: seed) { appended, day in
            Console.progress("demo: \(appended) events recorded, up to \(day)")
        }
        Console.endProgress()
        if !refusals.isEmpty {
            // The scenario only makes valid events; a refusal here is a bug worth seeing.
            for refusal in refusals.prefix(10) { Console.errLine("demo: refused \(refusal)") }
            return .refused
        }
        let dashboard = "\(out)/dashboard"
        Console.progress("demo: writing the dashboard", stage: true)
        let summary = try RebuildWriter.write(
            log: log, window: EventWindow(), asOf: today, fromScratch: false, to: dashboard
        ) { head in
            Console.progress("demo: reading the log back", stage: true)
            let result = try FoldCheckpoint.foldCovering(
                log: log, window: EventWindow(), scope: FoldCheckpoint.everything,
                fromScratch: false, head: head)
            ProcessExit.keep(result.fold)
            return (result.fold, result.leftOut)
        }
        Console.endProgress()
        // Known to `ledger redact`, which refreshes every dashboard of the log (the demo's too).
        RebuildFolders.remember(dashboard, for: log)
        // The commands to try next, with `ledger` as it was run (a path when run by one, as `swift run` does).
        let ledger = CommandLine.arguments.first ?? "ledger"
        Console.err(
            """
            demo: \(appended) events for \(summary.families) families written to \(log) (seed \(seed), today \(today))
            demo: dashboard at \(dashboard)/index.html (\(summary.obligations) obligations; open it in a browser)
            try:  \(ledger) due --overdue --as-of \(today) --log \(log)
                  \(ledger) caseload --as-of \(today) --log \(log)
                  \(ledger) verify --log \(log)
            """)
        Console.out("\(dashboard)/index.html\n")
        return .done
    }
}
