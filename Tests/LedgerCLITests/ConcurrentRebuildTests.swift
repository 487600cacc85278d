import EventLog
import LedgerTestSupport
import Testing

/// Two rebuilds into one folder at once (two cron jobs, a person and a job): they take turns on the folder's
/// lock, both succeed, and the folder afterwards is what one rebuild alone writes.
@Suite("ledger CLI: rebuilds into one folder at once")
struct ConcurrentRebuildTests {
    /// Every file of a rebuild's output (pages included), by path inside it.
    static func files(_ site: String) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in fileNames(in: site)
        where name.hasSuffix(".json") || name.hasSuffix(".csv") || name.hasSuffix(".html") {
            files[name] = readBytes(site + "/" + name)
        }
        for name in fileNames(in: site + "/families") {
            files["families/" + name] = readBytes(site + "/families/" + name)
        }
        return files
    }

    @Test(
        "three rebuilds at once into one folder all succeed; the folder holds one whole rebuild's output"
    )
    func together() throws {
        let directory = TemporaryDirectory()
        let demo = Subprocess.ledger(
            ["demo", "--families", "150", "--out", directory.file("d")], in: directory)
        #expect(demo.status == 0, "\(demo.stderr)")
        let log = directory.file("d/ledger.jsonl")
        let arguments = ["rebuild", "--as-of", "2026-11-23", "--log", log, "--out"]
        let fresh = Subprocess.ledger(arguments + [directory.file("fresh")], in: directory)
        #expect(fresh.status == 0, "\(fresh.stderr)")
        let expected = Self.files(directory.file("fresh"))
        #expect(expected.count > 150)
        let site = directory.file("site")
        for round in 0..<3 {
            let pids = (0..<3).map { index in
                Subprocess.spawn(
                    [Subprocess.ledgerBinary] + arguments + [site],
                    stderrPath: directory.file("err-\(round)-\(index)"))
            }
            for (index, pid) in pids.enumerated() {
                let status = Subprocess.wait(pid)
                let stderr = String(
                    decoding: readBytes(directory.file("err-\(round)-\(index)")), as: UTF8.self)
                #expect(status == 0, "round \(round), rebuild \(index): \(stderr)")
            }
            let files = Self.files(site)
            #expect(files.keys.sorted() == expected.keys.sorted(), "round \(round)")
            #expect(files == expected, "round \(round): the folder is one whole rebuild")
        }
        // No temporary file is left behind.
        #expect(fileNames(in: site).allSatisfy { !$0.contains(".new") }, "\(fileNames(in: site))")
    }
}
