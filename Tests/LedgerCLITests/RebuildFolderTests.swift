import EventLog
import LedgerTestSupport
import Testing

/// `rebuild --out DIR` writes its own `index.html` and removes family pages it did not write: it does so only in a
/// folder that is new, empty, or a rebuild's own (found by an adversarial run: a folder of someone's own pages lost
/// its `index.html` and its `families/*.html` without a word).
@Suite("ledger rebuild: only into a folder of its own")
struct RebuildFolderTests {
    @Test("a folder holding files no rebuild wrote is refused, and its files are kept")
    func foreignFolderRefused() throws {
        let log = try DemoLog.path(families: 10)
        let directory = TemporaryDirectory()
        let mine = directory.file("mydocs")
        try FileOutput.makeDirectory(mine + "/families")
        writeBytes(Array("my own page".utf8), to: mine + "/index.html")
        writeBytes(Array("my notes".utf8), to: mine + "/families/F-ZZZ.html")
        let result = Subprocess.ledger(["rebuild", "--out", mine, "--log", log], in: directory)
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("holds families and 1 more that no rebuild wrote"),
            "\(result.stderr)")
        #expect(readBytes(mine + "/index.html") == Array("my own page".utf8))
        #expect(readBytes(mine + "/families/F-ZZZ.html") == Array("my notes".utf8))
        #expect(fileNames(in: mine).sorted() == ["families", "index.html"])
    }

    @Test(
        "a new folder, an empty one, and one a rebuild wrote (even one stopped before its plan) are written"
    )
    func ownFoldersWritten() throws {
        let log = try DemoLog.path(families: 10)
        let directory = TemporaryDirectory()
        let empty = directory.file("empty")
        try FileOutput.makeDirectory(empty)
        for folder in [directory.file("new"), empty] {
            let result = Subprocess.ledger(
                ["rebuild", "--out", folder, "--log", log], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(readBytes(folder + "/index.html").count > 1_000)
        }
        // A first rebuild stopped after its mark and some pages, before its plan: the next one takes the folder.
        let stopped = directory.file("new")
        FileOutput.remove(stopped + "/.rebuild-plan")
        writeBytes(Array("stale".utf8), to: stopped + "/families/F-OLD.html")
        let again = Subprocess.ledger(["rebuild", "--out", stopped, "--log", log], in: directory)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(FileOutput.size(stopped + "/families/F-OLD.html") == nil)
        // A file where a folder is asked for.
        let file = directory.file("a-file")
        writeBytes(Array("x".utf8), to: file)
        let refused = Subprocess.ledger(["rebuild", "--out", file, "--log", log], in: directory)
        #expect(refused.status == 2 && refused.stderr.contains("is a file"), "\(refused.stderr)")
    }
}
