import EventLog
import LedgerTestSupport
import Testing

/// A rebuild over its last output, as a team runs it each morning: every page changes, and is replaced through
/// its spare (the page before) rather than by a new file.
@Suite("ledger CLI: a rebuild a day later replaces every page")
struct RebuildPagesTests {
    static let spares = ".previous-pages"

    /// The folder's pages, by name.
    static func pages(_ folder: String) -> [String: [UInt8]] {
        var pages: [String: [UInt8]] = [:]
        for name in fileNames(in: folder + "/families") {
            pages[name] = readBytes(folder + "/families/" + name)
        }
        return pages
    }

    @Test(
        "day after day over one folder: the same pages as a rebuild into a new folder; the spares hold the day before"
    )
    func dayAfterDay() throws {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(
            ["demo", "--families", "20", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let site = directory.file("site")
        var before: [String: [UInt8]] = [:]
        for day in ["2026-11-23", "2026-11-24", "2026-11-25"] {
            let over = Subprocess.ledger(
                ["rebuild", "--out", site, "--as-of", day, "--log", log], in: directory)
            let fresh = Subprocess.ledger(
                ["rebuild", "--out", directory.file("fresh-\(day)"), "--as-of", day, "--log", log],
                in: directory)
            #expect(over.status == 0 && fresh.status == 0, "\(over.stderr)")
            let pages = Self.pages(site)
            #expect(pages.count == 20)
            #expect(
                pages == Self.pages(directory.file("fresh-\(day)")),
                "\(day): the pages over the last output")
            #expect(
                readBytes(site + "/index.html")
                    == readBytes(directory.file("fresh-\(day)/index.html")))
            for (name, page) in before {
                #expect(page != pages[name], "\(day): \(name) changed with the date")
                #expect(
                    readBytes("\(site)/\(Self.spares)/\(name)") == page,
                    "\(day): the spare of \(name) is the day before's")
                #expect(fileMode("\(site)/\(Self.spares)/\(name)") == 0o600)
            }
            before = pages
        }
        #expect(fileMode("\(site)/\(Self.spares)") == 0o700)
    }

    @Test(
        "where the file system cannot exchange two files, each page is renamed into place instead")
    func withoutExchange() throws {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(
            ["demo", "--families", "20", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let site = directory.file("site")
        let first = Subprocess.ledger(
            ["rebuild", "--out", site, "--as-of", "2026-11-23", "--log", log], in: directory)
        let refused = ["LEDGER_FAULT": "renameat2:EINVAL:0:persist"]
        let next = Subprocess.ledger(
            ["rebuild", "--out", site, "--as-of", "2026-11-24", "--log", log], environment: refused,
            in: directory)
        let fresh = Subprocess.ledger(
            ["rebuild", "--out", directory.file("fresh"), "--as-of", "2026-11-24", "--log", log],
            in: directory)
        #expect(first.status == 0 && next.status == 0 && fresh.status == 0, "\(next.stderr)")
        #expect(Self.pages(site).count == 20)
        #expect(Self.pages(site) == Self.pages(directory.file("fresh")))
        #expect(
            fileNames(in: "\(site)/\(Self.spares)").isEmpty, "each spare was renamed over its page")
    }
}
