import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Safe files and limits")
struct SafetyTests {
    @Test("every file holding case data is created owner-only, output folders too")
    func modes() {
        let directory = TemporaryDirectory()
        let demo = Subprocess.ledger(
            ["demo", "--families", "10", "--out", directory.file("d")], in: directory)
        #expect(demo.status == 0)
        let log = directory.file("d/ledger.jsonl")
        for suffix in ["", ".ids", ".state", ".state-delta"] {
            #expect(fileMode(log + suffix) == 0o600, "\(suffix)")
        }
        // The writers' lock is taken on the log itself: no lock file is made beside it.
        #expect(access(log + ".lock", F_OK) != 0)
        #expect(fileMode(directory.file("d")) == 0o700)
        #expect(fileMode(directory.file("d/dashboard")) == 0o700)
        #expect(fileMode(directory.file("d/dashboard/families")) == 0o700)
        #expect(fileMode(directory.file("d/dashboard/index.html")) == 0o600)
        #expect(fileMode(directory.file("d/dashboard/families/F-1000.html")) == 0o600)
    }

    @Test("a symbolic link in place of the log is refused, for writing and reading")
    func symlink() {
        let (directory, log) = CLIWriteTests.initialized()
        let link = directory.file("link.jsonl")
        #expect(Glibc.symlink(log, link) == 0)
        let append = Subprocess.ledger(
            ["append", "--log", link], stdin: Events.staff[0] + "\n", in: directory)
        #expect(append.status == 1 && append.stderr.contains("symbolic link"), "\(append.stderr)")
        let verify = Subprocess.ledger(["verify", "--log", link], in: directory)
        #expect(verify.status == 1 && verify.stderr.contains("symbolic link"))
        #expect(
            Subprocess.ledger(["init", "--log", directory.file("new-link.jsonl")], in: directory)
                .status == 0)
    }

    @Test("nesting deeper than 64 and more members than the limit are refused cleanly")
    func limits() throws {
        let ledger = try TestLedger()
        try ledger.append(Events.staff + [Events.referral("F-1", on: "2026-02-02")])
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let line =
            #"{"id":"n1","stream":"family:F-1","type":"note.recorded","occurredAt":"2026-02-05","actor":{"id":"w-017","role":"fsw"},"data":{"subject":"s","body":\#(deep)}}"#
        let error = try #require(try ledger.refusal(line))
        #expect(error.field == "line" && error.rule.contains("nesting deeper than 64"))
        let members = (0..<10_001).map { "\"k\($0)\":0" }.joined(separator: ",")
        let wide =
            #"{"id":"n2","stream":"family:F-1","type":"note.recorded","occurredAt":"2026-02-05","actor":{"id":"w-017","role":"fsw"},"data":{\#(members)}}"#
        let tooWide = try #require(try ledger.refusal(wide))
        #expect(tooWide.rule.contains("more than 10000 members"))
    }
}
