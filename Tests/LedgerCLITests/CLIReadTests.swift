import EventLog
import LedgerTestSupport
import Testing

@Suite("ledger CLI: demo, projections and rebuild")
struct CLIReadTests {
    @Test("demo with the same seed writes the same log; another seed another; the log verifies")
    func demoIsDeterministic() {
        let directory = TemporaryDirectory()
        let first = Subprocess.ledger(
            ["demo", "--families", "25", "--seed", "42", "--out", directory.file("a")],
            in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == directory.file("a") + "/dashboard/index.html\n")
        let second = Subprocess.ledger(
            ["demo", "--families", "25", "--seed", "42", "--out", directory.file("b")],
            in: directory)
        #expect(second.status == 0)
        let other = Subprocess.ledger(
            ["demo", "--families", "25", "--seed", "43", "--out", directory.file("c")],
            in: directory)
        #expect(other.status == 0)
        let log = readBytes(directory.file("a/ledger.jsonl"))
        #expect(log.count > 10_000)
        #expect(log == readBytes(directory.file("b/ledger.jsonl")))
        #expect(log != readBytes(directory.file("c/ledger.jsonl")))
        #expect(
            readBytes(directory.file("a/dashboard/index.html"))
                == readBytes(directory.file("b/dashboard/index.html")))
        let verify = Subprocess.ledger(
            ["verify", "--log", directory.file("a/ledger.jsonl")], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
        // Running the demo again in the same place starts it afresh.
        let again = Subprocess.ledger(
            ["demo", "--families", "25", "--seed", "42", "--out", directory.file("a")],
            in: directory)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(readBytes(directory.file("a/ledger.jsonl")) == log)
    }

    @Test("rebuild writes every projection, owner-only, byte-identical on a second run")
    func rebuild() {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(
            ["demo", "--families", "20", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let environment = ["LEDGER_NOW": "2026-11-23T12:00:00Z"]
        let one = Subprocess.ledger(
            ["rebuild", "--out", directory.file("r1"), "--log", log], environment: environment,
            in: directory)
        let two = Subprocess.ledger(
            ["rebuild", "--out", directory.file("r2"), "--log", log], environment: environment,
            in: directory)
        #expect(one.status == 0 && two.status == 0, "\(one.stderr)")
        for name in ["families", "caseload", "caseload-teams", "due", "pbr", "monthly"] {
            for suffix in ["json", "csv"] {
                let path = directory.file("r1/\(name).\(suffix)")
                #expect(readBytes(path).count > 2, "\(name).\(suffix)")
                #expect(readBytes(path) == readBytes(directory.file("r2/\(name).\(suffix)")))
                #expect(fileMode(path) == 0o600)
            }
        }
        #expect(
            readBytes(directory.file("r1/index.html")) == readBytes(directory.file("r2/index.html"))
        )
    }

    @Test(
        "rebuild from the checkpoint, from scratch and over its own output gives the same bytes as the commands"
    )
    func rebuildAgreesWithCommands() throws {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(
            ["demo", "--families", "30", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let asOf = ["--as-of", "2026-11-23", "--log", log]
        // From scratch (no checkpoint kept); then with the checkpoint it leaves; then again over that output.
        for (out, extra) in [
            ("scratch", ["--from-scratch"]), ("checkpoint", []), ("checkpoint", []),
        ] {
            let result = Subprocess.ledger(
                ["rebuild", "--out", directory.file(out)] + extra + asOf, in: directory)
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(FileOutput.size(log + ".fold-all") != nil)
        let pages = fileNames(in: directory.file("scratch/families"))
        #expect(pages.count == 30)
        #expect(fileNames(in: directory.file("checkpoint/families")) == pages)
        for name in pages + ["../index.html"] {
            let scratch = readBytes(directory.file("scratch/families/\(name)"))
            #expect(
                !scratch.isEmpty
                    && scratch == readBytes(directory.file("checkpoint/families/\(name)")),
                "\(name)")
        }
        // (caseload --format json is one object of workers, teams and the service; rebuild splits it in two files.)
        for name in ["families", "due", "pbr"] {
            for format in ["json", "csv"] {
                let command = Subprocess.ledger([name, "--format", format] + asOf, in: directory)
                #expect(command.status == 0)
                #expect(
                    Array(command.stdout.utf8)
                        == readBytes(directory.file("scratch/\(name).\(format)")),
                    "\(name).\(format)")
                #expect(
                    readBytes(directory.file("checkpoint/\(name).\(format)"))
                        == readBytes(directory.file("scratch/\(name).\(format)")))
            }
        }
        // Each family page shows the family's whole timeline: every event of its stream, by seq.
        let timeline = Subprocess.ledger(
            ["timeline", "F-1003", "--format", "jsonl"] + asOf, in: directory)
        let page = String(
            decoding: readBytes(directory.file("scratch/families/F-1003.html")), as: UTF8.self)
        let rows = timeline.stdout.split(separator: "\n")
        #expect(rows.count > 3)
        for row in rows {
            let seq = try #require(
                row.split(separator: ",").first { $0.hasPrefix("{\"seq\":") }?.dropFirst(7))
            #expect(page.contains("<tr><td>\(seq)<td>"), "seq \(seq)")
        }
    }

    @Test(
        "a filter naming a family, worker or team the log never saw is an error; family:REF is a ref"
    )
    func unknownFilters() {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(
            ["demo", "--families", "10", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let unknown: [[String]] = [
            ["families", "--family", "F-9999"], ["families", "--worker", "w-999"],
            ["families", "--team", "east"],
            ["caseload", "--worker", "w-999"], ["caseload", "--team", "east"],
            ["due", "--family", "F-9999"],
            ["due", "--worker", "w-999"], ["pbr", "--family", "F-9999"], ["timeline", "F-9999"],
        ]
        for command in unknown {
            let result = Subprocess.ledger(command + ["--log", log], in: directory)
            #expect(
                result.status == 1 && result.stderr.contains("F-9999")
                    || result.stderr.contains("w-999")
                    || result.stderr.contains("east"),
                "\(command): \(result.status) \(result.stderr)")
            #expect(result.status == 1, "\(command)")
        }
        let byRef = Subprocess.ledger(
            ["families", "--family", "F-1001", "--format", "jsonl", "--log", log], in: directory)
        let byStream = Subprocess.ledger(
            ["families", "--family", "family:F-1001", "--format", "jsonl", "--log", log],
            in: directory)
        #expect(byRef.status == 0 && !byRef.stdout.isEmpty && byRef.stdout == byStream.stdout)
        let timeline = Subprocess.ledger(
            ["timeline", "family:F-1001", "--format", "jsonl", "--log", log], in: directory)
        #expect(timeline.status == 0 && timeline.stdout.contains("referral.received"))
    }

    /// Filters a command does not apply, given to it: each a usage error naming the option, never an answer
    /// that looks filtered and is not (an adversary found `pbr --team`, `caseload --status`, `monthly --family`
    /// and `timeline --worker` accepted and ignored).
    static let unappliedFilters: [[String]] = [
        ["pbr", "--team", "north"], ["pbr", "--worker", "w-101"], ["pbr", "--status", "open"],
        ["caseload", "--status", "over"], ["caseload", "--family", "F-1001"],
        ["monthly", "--month", "2026-01", "--family", "F-1001"],
        ["monthly", "--month", "2026-01", "--team", "north"],
        ["timeline", "F-1001", "--worker", "w-101"], ["families", "--month", "2026-01"],
        ["retention", "--family", "F-1001"],
        ["annex-a", "--as-of", "2026-11-23", "--team", "north"],
    ]

    @Test(
        "a filter the command does not apply is a usage error, never ignored",
        arguments: unappliedFilters)
    func unappliedFilter(command: [String]) throws {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(
            ["demo", "--families", "10", "--out", directory.file("d")], in: directory)
        let result = Subprocess.ledger(
            command + ["--log", directory.file("d/ledger.jsonl")], in: directory)
        let option = try #require(command.last { $0.hasPrefix("--") && $0 != "--as-of" })
        #expect(result.status == 2, "\(command): \(result.status)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(option), "\(command): \(result.stderr)")
    }

    static let repeatedOptions: [[String]] = [
        ["caseload", "--as-of", "2026-01-31", "--as-of", "2026-02-28"],
        ["families", "--format", "csv", "--format=json"],
        ["due", "--rule", "allocate", "--rule", "review"],
        [
            "record", "note.recorded", "--family", "F-1001", "--actor", "w-101", "--subject", "a",
            "--subject", "b",
            "--body", "c",
        ],
    ]

    @Test(
        "an option given twice is a usage error, never read as its last value",
        arguments: repeatedOptions)
    func repeatedOption(command: [String]) throws {
        let (directory, log) = IncrementalRebuildTests.demo(10)
        let before = readBytes(log)
        let result = Subprocess.ledger(command + ["--log", log], in: directory)
        #expect(result.status == 2, "\(command): \(result.status) \(result.stdout)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("is given twice; give it once"), "\(result.stderr)")
        #expect(readBytes(log) == before)
    }

    @Test("due --rule names a rule of an adopted policy, or is told the rules there are")
    func unknownRule() throws {
        let (directory, log) = IncrementalRebuildTests.demo(10)
        let typo = Subprocess.ledger(["due", "--rule", "reveiw", "--log", log], in: directory)
        #expect(typo.status == 2)
        #expect(typo.stdout.isEmpty)
        #expect(
            typo.stderr.contains(
                "--rule reveiw: no policy in the log has that rule (the rules: assessment,"),
            "\(typo.stderr)")
        #expect(typo.stderr.contains(", review,"))
        let known = Subprocess.ledger(
            ["due", "--rule", "review", "--format", "csv", "--log", log], in: directory)
        #expect(known.status == 0, "\(known.stderr)")
        #expect(known.stdout.hasPrefix("family,episode,rule,"))
    }

    @Test("the options that take a list may be repeated: tail --type, twice")
    func repeatableOption() throws {
        let (directory, log) = IncrementalRebuildTests.demo(10)
        let result = Subprocess.ledger(
            [
                "tail", "--since", "0", "--type", "referral.received", "--type", "case.closed",
                "--log",
                log,
            ], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        let wanted = ["\"type\":\"referral.received\"", "\"type\":\"case.closed\""]
        #expect(wanted.allSatisfy { type in lines.contains { $0.contains(type) } })
        #expect(lines.allSatisfy { line in wanted.contains { line.contains($0) } })
    }

    @Test("families --status takes only a status a family can have")
    func familyStatusChecked() {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(
            ["demo", "--families", "10", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let bogus = Subprocess.ledger(
            ["families", "--status", "bogus", "--log", log], in: directory)
        #expect(bogus.status == 2)
        #expect(bogus.stderr.contains("referred, triaged, allocated, engaged, stepped-up, closed"))
        let closed = Subprocess.ledger(
            ["families", "--status", "closed", "--format", "jsonl", "--log", log], in: directory)
        #expect(closed.status == 0)
        #expect(
            closed.stdout.split(separator: "\n").allSatisfy { $0.contains(#""status":"closed""#) })
    }

    @Test("due --overdue as of a date lists only overdue obligations; bad options are usage errors")
    func dueOverdue() {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(
            ["demo", "--families", "40", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let result = Subprocess.ledger(
            ["due", "--overdue", "--as-of", "2026-11-23", "--format", "jsonl", "--log", log],
            in: directory)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.contains(#""status":"overdue""#) })
        #expect(
            Subprocess.ledger(["due", "--as-of", "23/11/2026", "--log", log], in: directory).status
                == 2)
        #expect(Subprocess.ledger(["monthly", "--log", log], in: directory).status == 2)
        #expect(
            Subprocess.ledger(["families", "--log", directory.file("nope.jsonl")], in: directory)
                .status == 1)
    }

    /// A filter of a projection command, and which of its unfiltered rows it keeps (`sample` is the first row).
    struct Filter: Sendable, CustomStringConvertible {
        var command: String
        var arguments: @Sendable (_ sample: JSONObject) -> [String]
        var keeps: @Sendable (_ row: JSONObject, _ sample: JSONObject) -> Bool
        var description: String

        init(
            _ description: String, _ command: String,
            arguments: @escaping @Sendable (JSONObject) -> [String],
            keeps: @escaping @Sendable (JSONObject, JSONObject) -> Bool
        ) {
            self.description = description
            self.command = command
            self.arguments = arguments
            self.keeps = keeps
        }

        static func same(_ key: String, _ row: JSONObject, _ sample: JSONObject) -> Bool {
            row[key] == sample[key]
        }
    }

    static let filters: [Filter] = [
        Filter("due --overdue", "due", arguments: { _ in ["--overdue"] }) { row, _ in
            row["status"] == "overdue"
        },
        Filter("due --status met", "due", arguments: { _ in ["--status", "met"] }) { row, _ in
            row["status"] == "met"
        },
        Filter("due --rule", "due", arguments: { ["--rule", $0["rule"]?.stringValue ?? ""] }) {
            Filter.same("rule", $0, $1)
        },
        Filter("due --family", "due", arguments: { ["--family", $0["family"]?.stringValue ?? ""] })
        { Filter.same("family", $0, $1) },
        Filter(
            "due --worker", "due",
            arguments: { ["--worker", $0["responsible"]?.stringValue ?? ""] }
        ) { Filter.same("responsible", $0, $1) },
        Filter(
            "due --family of nobody: no rows", "due", arguments: { _ in ["--family", "F-nobody"] }
        ) { _, _ in false },
        Filter(
            "families --status", "families",
            arguments: { ["--status", $0["status"]?.stringValue ?? ""] }
        ) { Filter.same("status", $0, $1) },
        Filter(
            "families --family", "families",
            arguments: { ["--family", $0["family"]?.stringValue ?? ""] }
        ) { Filter.same("family", $0, $1) },
        Filter("pbr --claimable", "pbr", arguments: { _ in ["--claimable"] }) { row, _ in
            row["claimable"]?.arrayValue?.isEmpty == false
        },
        Filter("pbr --family", "pbr", arguments: { ["--family", $0["family"]?.stringValue ?? ""] })
        { Filter.same("family", $0, $1) },
    ]

    @Test(
        "a filtered projection is its unfiltered rows that pass the filter, in every format",
        arguments: filters)
    func filtered(_ filter: Filter) throws {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(
            ["demo", "--families", "40", "--out", directory.file("d")], in: directory)
        let common = ["--as-of", "2026-11-23", "--log", directory.file("d/ledger.jsonl")]
        let all = Subprocess.ledger([filter.command, "--format", "jsonl"] + common, in: directory)
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n").map(String.init)
        let rows = try lines.map { try #require(try JSONParser.parse($0).objectValue) }
        let sample = try #require(rows.first)
        let kept = rows.indices.filter { filter.keeps(rows[$0], sample) }
        let arguments = [filter.command] + filter.arguments(sample) + common

        let jsonl = Subprocess.ledger(arguments + ["--format", "jsonl"], in: directory)
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        #expect(jsonl.stdout == kept.map { lines[$0] + "\n" }.joined())
        let json = Subprocess.ledger(arguments + ["--format", "json"], in: directory)
        #expect(json.stdout == "[" + kept.map { "\n" + lines[$0] }.joined(separator: ",") + "\n]\n")
        // The CSV's rows are the unfiltered CSV's rows that pass (when the filter leaves the columns as they were).
        let csvAll = Subprocess.ledger([filter.command, "--format", "csv"] + common, in: directory)
            .stdout
            .split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let csv = Subprocess.ledger(arguments + ["--format", "csv"], in: directory).stdout
            .split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        #expect(
            csv.count == kept.count + 2,
            "a header, the rows, and the empty string after the last line break")
        if csv.first == csvAll.first {
            #expect(Array(csv.dropFirst().dropLast()) == kept.map { csvAll[$0 + 1] })
        }
        let table = Subprocess.ledger(arguments + ["--format", "table"], in: directory)
        #expect(table.status == 0)
        #expect(
            table.stdout.split(separator: "\n").count == kept.count + 2 + (kept.isEmpty ? 1 : 0),
            "a header, a rule, the rows or (none)")
    }
}
