import EventLog
import LedgerTestSupport
import Testing

/// A rebuild over its last output, as a team runs it each morning: the pages are those of a rebuild into a new
/// folder, day after day; a spare keeps the day before's version of a page the date alone changed, and no other.
@Suite("ledger CLI: a rebuild a day later holds the same pages as a new folder")
struct RebuildPagesTests {
    /// Where the page before is kept, for a page the date alone changed.
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
        "day after day over one folder: the same pages as a rebuild into a new folder; those the day changes change"
    )
    func dayAfterDay() throws {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(
            ["demo", "--families", "20", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let site = directory.file("site")
        var before: [String: [UInt8]] = [:]
        var previousDay: String?
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
                // A page changes when the day after the last it was current to comes.
                let text = String(decoding: page, as: UTF8.self)
                let expired =
                    previousDay.map {
                        text.contains(", current to \($0)</p>")
                            || text.contains(", current to \($0) ·")
                    } ?? false
                #expect((page != pages[name]) == expired, "\(day): \(name)")
                #expect(fileMode("\(site)/families/\(name)") == 0o600)
            }
            // A spare holds the day before's version of a page the day changed, and there is no other.
            for name in fileNames(in: "\(site)/\(Self.spares)") {
                #expect(before[name] != nil && pages[name] != before[name], "\(day): \(name)")
                #expect(
                    readBytes("\(site)/\(Self.spares)/\(name)") == before[name], "\(day): \(name)")
            }
            before = pages
            previousDay = day
        }
    }

    @Test("a folder an older build wrote, with its spares: they go; the pages are a new folder's")
    func olderFolder() throws {
        let directory = TemporaryDirectory()
        _ = Subprocess.ledger(
            ["demo", "--families", "20", "--out", directory.file("d")], in: directory)
        let log = directory.file("d/ledger.jsonl")
        let site = directory.file("site")
        let first = Subprocess.ledger(
            ["rebuild", "--out", site, "--as-of", "2026-11-23", "--log", log], in: directory)
        #expect(first.status == 0)
        // As an older build left it: a spare of each page, no plan, and a page half-made by a crash.
        try FileOutput.makeDirectory("\(site)/\(Self.spares)")
        for (name, page) in Self.pages(site) {
            writeBytes(page, to: "\(site)/\(Self.spares)/\(name)")
        }
        FileOutput.remove("\(site)/.rebuild-plan")
        writeBytes(Array("<!doctype".utf8), to: "\(site)/families/F-1003.html.new")
        let next = Subprocess.ledger(
            ["rebuild", "--out", site, "--as-of", "2026-11-24", "--log", log], in: directory)
        let fresh = Subprocess.ledger(
            ["rebuild", "--out", directory.file("fresh"), "--as-of", "2026-11-24", "--log", log],
            in: directory)
        #expect(next.status == 0 && fresh.status == 0, "\(next.stderr)")
        #expect(Self.pages(site).count == 20)
        #expect(Self.pages(site) == Self.pages(directory.file("fresh")))
        #expect(
            fileNames(in: "\(site)/\(Self.spares)").isEmpty, "the older build's spares are removed")
    }
}
