import EventLog
import LedgerTestSupport
import Testing

@Suite("ledger CLI: demo, projections and rebuild")
struct CLIReadTests {
    @Test("demo with the same seed writes the same log; another seed another; the log verifies")
    func demoIsDeterministic() {
        let directory = TemporaryDirectory()
        let first = Subprocess.ledger(["demo", "--families", "25", "--seed", "42", "--out", directory.file("a")], in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == directory.file("a") + "/dashboard/index.html\n")
        let second = Subprocess.ledger(["demo", "--families", "25", "--seed", "42", "--out", directory.file("b")], in: directory)
        #expect(second.status == 0)
        let other = Subprocess.ledger(["demo", "--families", "25", "--seed", "43", "--out", directory.file("c")], in: directory)
        #expect(other.status == 0)
        let log = readBytes(directory.file("a/ledger.jsonl"))
        #expect(log.count > 10_000)
        #expect(log == readBytes(directory.file("b/ledger.jsonl")))
        #expect(log != readBytes(directory.file("c/ledger.jsonl")))
        #expect(readBytes(directory.file("a/dashboard/index.html")) == readBytes(directory.file("b/dashboard/index.html")))
        let verify = Subprocess.ledger(["verify", "--log", directory.file("a/ledger.jsonl")], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
        // Running the demo again in the same place starts it afresh.
        let again = Subprocess.ledger(["demo", "--families", "25", "--seed", "42", "--out", directory.file("a")], in: directory)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(readBytes(directory.file("a/ledger.jsonl")) == log)
    }

    @Test("rebuild writes every projection, owner-only, byte-identical on a second run")
    func rebuild() {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(["demo", "--families", "20", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let environment = ["LEDGER_NOW": "2026-11-23T12:00:00Z"]
        let one = Subprocess.ledger(["rebuild", "--out", directory.file("r1"), "--log", log], environment: environment, in: directory)
        let two = Subprocess.ledger(["rebuild", "--out", directory.file("r2"), "--log", log], environment: environment, in: directory)
        #expect(one.status == 0 && two.status == 0, "\(one.stderr)")
        for name in ["families", "caseload", "caseload-teams", "due", "pbr", "monthly"] {
            for suffix in ["json", "csv"] {
                let path = directory.file("r1/\(name).\(suffix)")
                #expect(readBytes(path).count > 2, "\(name).\(suffix)")
                #expect(readBytes(path) == readBytes(directory.file("r2/\(name).\(suffix)")))
                #expect(fileMode(path) == 0o600)
            }
        }
        #expect(readBytes(directory.file("r1/index.html")) == readBytes(directory.file("r2/index.html")))
    }

    @Test("rebuild from the checkpoint, from scratch and over its own output gives the same bytes as the commands")
    func rebuildAgreesWithCommands() throws {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(["demo", "--families", "30", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let asOf = ["--as-of", "2026-11-23", "--log", log]
        // From scratch (no checkpoint kept); then with the checkpoint it leaves; then again over that output.
        for (out, extra) in [("scratch", ["--from-scratch"]), ("checkpoint", []), ("checkpoint", [])] {
            let result = Subprocess.ledger(["rebuild", "--out", directory.file(out)] + extra + asOf, in: directory)
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(FileOutput.size(log + ".fold-all") != nil)
        let pages = fileNames(in: directory.file("scratch/families"))
        #expect(pages.count == 30)
        #expect(fileNames(in: directory.file("checkpoint/families")) == pages)
        for name in pages + ["../index.html"] {
            let scratch = readBytes(directory.file("scratch/families/\(name)"))
            #expect(!scratch.isEmpty && scratch == readBytes(directory.file("checkpoint/families/\(name)")), "\(name)")
        }
        // (caseload --format json is one object of workers, teams and the service; rebuild splits it in two files.)
        for name in ["families", "due", "pbr"] {
            for format in ["json", "csv"] {
                let command = Subprocess.ledger([name, "--format", format] + asOf, in: directory)
                #expect(command.status == 0)
                #expect(Array(command.stdout.utf8) == readBytes(directory.file("scratch/\(name).\(format)")), "\(name).\(format)")
                #expect(readBytes(directory.file("checkpoint/\(name).\(format)")) == readBytes(directory.file("scratch/\(name).\(format)")))
            }
        }
        // Each family page shows the family's whole timeline: every event of its stream, by seq.
        let timeline = Subprocess.ledger(["timeline", "F-1003", "--format", "jsonl"] + asOf, in: directory)
        let page = String(decoding: readBytes(directory.file("scratch/families/F-1003.html")), as: UTF8.self)
        let rows = timeline.stdout.split(separator: "\n")
        #expect(rows.count > 3)
        for row in rows {
            let seq = try #require(row.split(separator: ",").first { $0.hasPrefix("{\"seq\":") }?.dropFirst(7))
            #expect(page.contains("<tr><td>\(seq)</td>"), "seq \(seq)")
        }
    }

    @Test("due --overdue as of a date lists only overdue obligations; bad options are usage errors")
    func dueOverdue() {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(["demo", "--families", "40", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let result = Subprocess.ledger(["due", "--overdue", "--as-of", "2026-11-23", "--format", "jsonl", "--log", log], in: directory)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.contains(#""status":"overdue""#) })
        #expect(Subprocess.ledger(["due", "--as-of", "23/11/2026", "--log", log], in: directory).status == 2)
        #expect(Subprocess.ledger(["monthly", "--log", log], in: directory).status == 2)
        #expect(Subprocess.ledger(["families", "--log", directory.file("nope.jsonl")], in: directory).status == 1)
    }
}
