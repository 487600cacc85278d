import EventLog
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Entries cut off the end of the access log, or the whole file removed, pass a chain check (what is left still
/// links): an anchored head catches them, as `--expect-head` does for the event log. (Found by an adversarial run.)
@Suite("The access log's head, anchored")
struct AccessHeadTests {
    @Test(
        "head --access, then verify --expect-access-head: passes as is, fails cut short or removed")
    func anchored() throws {
        let (directory, log) = CLIWriteTests.initialized()
        _ = Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: (Events.staff + [Events.referral("F-1", on: "2026-02-02")]).joined(
                separator: "\n") + "\n", in: directory)
        for _ in 0..<3 {
            #expect(
                Subprocess.ledger(["timeline", "F-1", "--log", log], in: directory).status == 0)
        }
        let head = Subprocess.ledger(["head", "--access", "--log", log], in: directory).stdout
            .trimmingSuffix()
        #expect(head.hasPrefix("3:") && head.count == 66, "\(head)")
        let whole = Subprocess.ledger(
            ["verify", "--expect-access-head", head, "--log", log], in: directory)
        #expect(
            whole.status == 0 && whole.stdout.contains("extends the anchored head"),
            "\(whole.stdout) \(whole.stderr)")
        let access = log + ".access"
        let saved = readBytes(access)
        let lines = readLines(access)
        writeBytes(Array((lines.dropLast().joined(separator: "\n") + "\n").utf8), to: access)
        let cut = Subprocess.ledger(
            ["verify", "--expect-access-head", head, "--log", log], in: directory)
        #expect(
            cut.status == 1 && cut.stderr.contains("does not extend the anchored head 3"),
            "\(cut.stderr)")
        _ = unlink(access)
        let removed = Subprocess.ledger(
            ["verify", "--expect-access-head", head, "--log", log], in: directory)
        #expect(
            removed.status == 1 && removed.stderr.contains("holds 0 entries"), "\(removed.stderr)")
        writeBytes(saved, to: access)
    }
}
