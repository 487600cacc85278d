import EventLog
import LedgerTestSupport
import Projections
import Testing

/// What `redact` does to the `rebuild --out` folders it knows of for the log (found by an adversarial run): a
/// folder rebuilt since from another log is that log's, and left alone; a folder made as of a date is made again as
/// of that date, not today.
@Suite("Redaction refreshes the log's own rebuilds, as they were made")
struct RedactionRefreshTests {
    static func redactOld(_ log: String, in directory: TemporaryDirectory) -> Subprocess.Result {
        RedactionTests.run(
            ["redact", "--family", "OLD", "--reason", "retention-ended", "--actor", "m-001"], log,
            in: directory)
    }

    @Test(
        "a redaction stopped after the log was replaced is named by every later command until it is run again"
    )
    func stoppedRedactionSaid() throws {
        let (directory, log) = RedactionTests.ledger()
        let site = directory.file("site")
        #expect(RedactionTests.run(["rebuild", "--out", site], log, in: directory).status == 0)
        // Killed at the rename that puts the redacted log in place's successor: the log is redacted, the purge
        // and the rebuild are not done.
        let killed = RedactionTests.run(
            ["redact", "--family", "OLD", "--reason", "retention-ended", "--actor", "m-001"], log,
            in: directory,
            environment: RedactionTests.now.merging(["LEDGER_FAULT": "rename:SIGKILL:2"]) { $1 })
        #expect(killed.status != 0)
        let command =
            "ledger redact --family OLD --reason retention-ended --actor m-001 --log \(log)"
        for later in [["families"], ["verify"], ["retention"]] {
            let result = RedactionTests.run(later, log, in: directory)
            #expect(
                result.stderr.contains("a redaction of this log was stopped before it finished")
                    && result.stderr.contains(command), "\(later): \(result.stderr)")
        }
        let again = RedactionTests.run(
            ["redact", "--family", "OLD", "--reason", "retention-ended", "--actor", "m-001"], log,
            in: directory)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("rebuilt \(site)"), "\(again.stdout)")
        let after = RedactionTests.run(["families"], log, in: directory)
        #expect(after.status == 0 && !after.stderr.contains("stopped before it finished"))
        #expect(FileOutput.size(log + ".redaction-pending") == nil)
        // A redaction refused leaves no note behind.
        let refused = RedactionTests.run(
            ["redact", "--family", "OPEN", "--reason", "retention-ended", "--actor", "m-001"], log,
            in: directory)
        #expect(refused.status == 1)
        #expect(FileOutput.size(log + ".redaction-pending") == nil)
    }

    @Test(
        "exports are made again with their window; the family's subject-access bundles are removed")
    func exportsAndBundles() throws {
        let (directory, log) = RedactionTests.ledger()
        let exported = directory.file("exp")
        let june = directory.file("exp-june")
        let bundle = directory.file("sar-old")
        let other = directory.file("sar-open")
        for arguments in [
            ["export", "--out", exported], ["export", "--out", june, "--as-of", "2026-06-30"],
            ["export-family", "OLD", "--out", bundle], ["export-family", "OPEN", "--out", other],
        ] {
            let result = RedactionTests.run(arguments, log, in: directory)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let secret = "Zebedee Quartermain"
        #expect(
            RedactionTests.files(under: exported).contains {
                RedactionTests.contains(readBytes($0), secret)
            })
        let redact = Self.redactOld(log, in: directory)
        #expect(redact.status == 0, "\(redact.stderr)")
        #expect(redact.stdout.contains("exported \(exported) again"), "\(redact.stdout)")
        #expect(redact.stdout.contains("exported \(june) again"), "\(redact.stdout)")
        #expect(
            redact.stdout.contains("removed the subject-access bundle \(bundle) of OLD"),
            "\(redact.stdout)")
        for folder in [exported, june] {
            for file in RedactionTests.files(under: folder) {
                #expect(!RedactionTests.contains(readBytes(file), secret), "\(file)")
            }
        }
        #expect(FileOutput.size(bundle) == nil)
        #expect(FileOutput.size(other + "/index.html") != nil)
        // June's export is still June's: nothing referred after 30 June in it.
        #expect(!RedactionTests.files(under: june).contains { $0.contains("month=2026-10") })
        // The same bytes as an export made now, with the same window.
        let fresh = directory.file("exp-fresh")
        #expect(RedactionTests.run(["export", "--out", fresh], log, in: directory).status == 0)
        #expect(ExportTests.files(exported) == ExportTests.files(fresh))
    }

    @Test("a folder rebuilt since from another log is left alone, and said to be")
    func anotherLogsFolder() throws {
        let (directory, log) = RedactionTests.ledger()
        let site = directory.file("site")
        #expect(RedactionTests.run(["rebuild", "--out", site], log, in: directory).status == 0)
        // Another log, rebuilt into the same folder since.
        let other = try DemoLog.path(families: 5)
        let rebuilt = Subprocess.ledger(["rebuild", "--out", site, "--log", other], in: directory)
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        let before = RedactionTests.snapshot(site)
        let redact = Self.redactOld(log, in: directory)
        #expect(redact.status == 0, "\(redact.stderr)")
        #expect(
            redact.stdout.contains("rebuild folder \(site): holds a rebuild of another log"),
            "\(redact.stdout)")
        #expect(RedactionTests.snapshot(site) == before)
    }

    @Test(
        "a folder made as of a date is made again as of that date, the redacted family's page replaced"
    )
    func asOfKept() throws {
        let (directory, log) = RedactionTests.ledger()
        let report = directory.file("report-2026-06")
        let made = RedactionTests.run(
            ["rebuild", "--out", report, "--as-of", "2026-06-30"], log, in: directory)
        #expect(made.status == 0, "\(made.stderr)")
        // Families referred after 30 June are not in it.
        let families = { String(decoding: readBytes(report + "/families.csv"), as: UTF8.self) }
        #expect(!families().contains("\r\nOPEN,") && families().contains("\r\nOLD,"))
        let page = report + "/families/" + HTML.familyPageName("OLD")
        #expect(RedactionTests.contains(readBytes(page), "Zebedee Quartermain"))
        let redact = Self.redactOld(log, in: directory)
        #expect(redact.status == 0, "\(redact.stderr)")
        #expect(
            redact.stdout.contains("rebuilt \(report) --as-of 2026-06-30"), "\(redact.stdout)")
        #expect(
            !families().contains("\r\nOPEN,"), "a family referred in October is in June's report")
        #expect(!RedactionTests.contains(readBytes(page), "Zebedee Quartermain"))
        let plan = String(decoding: readBytes(report + "/.rebuild-plan"), as: UTF8.self)
        #expect(plan.contains("as-of 2026-06-30 known-at -"))
    }
}
