#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import Foundation
import LedgerCore
import LedgerTestSupport
import Testing

/// The rebuild that writes only what changed (issue 23), as the binary is run: which files a rebuild over its last
/// output writes (told by each file's identity: inode, size, time), and that the folder is then, byte for byte,
/// what a rebuild into a new folder writes, whatever happened in between (appends, corrections, a day's move, a
/// redaction, a crash, a damaged plan or index).
@Suite("ledger CLI: a rebuild writes only what changed")
struct IncrementalRebuildTests {
    static let now = ["LEDGER_NOW": "2026-11-23T18:00:00Z"]
    static let plan = ".rebuild-plan"

    /// A demo log of `families` families (today 2026-11-23).
    static func demo(_ families: Int) -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory()
        let made = Subprocess.ledger(
            ["demo", "--families", String(families), "--out", directory.file("d")], in: directory)
        #expect(made.status == 0, "\(made.stderr)")
        return (directory, directory.file("d/ledger.jsonl"))
    }

    static func rebuild(
        _ log: String, into folder: String, asOf: String, in directory: TemporaryDirectory,
        environment: [String: String] = [:]
    ) -> Subprocess.Result {
        Subprocess.ledger(
            ["rebuild", "--out", folder, "--as-of", asOf, "--log", log], environment: environment,
            in: directory)
    }

    static let spares = ".previous-pages/"

    /// Every file of a rebuild's folder, by path inside it (the plan and the pages' spares aside), with its bytes.
    static func contents(_ folder: String) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for path in RedactionTests.files(under: folder) {
            let name = String(path.dropFirst(folder.count + 1))
            if name != plan && !name.hasPrefix(spares) { files[name] = readBytes(path) }
        }
        return files
    }

    /// Every file of a rebuild's folder (the spares aside), by path inside it, with its identity.
    static func identities(_ folder: String) -> [String: FileIdentity] {
        var files: [String: FileIdentity] = [:]
        for path in RedactionTests.files(under: folder) {
            let name = String(path.dropFirst(folder.count + 1))
            if !name.hasPrefix(spares) { files[name] = FileIdentity(path: path) }
        }
        return files
    }

    /// The pages' spares, by page name.
    static func spareFiles(_ folder: String) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in fileNames(in: folder + "/" + spares) {
            files[name] = readBytes("\(folder)/\(spares)\(name)")
        }
        return files
    }

    /// The files whose identity changed (or that came or went) between two looks at a folder.
    static func changed(_ before: [String: FileIdentity], _ after: [String: FileIdentity]) -> Set<
        String
    > {
        Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
    }

    /// The projection files and the front page, which read every family and the date.
    static let projections: Set<String> = Set(
        ["families", "pbr", "caseload", "caseload-teams", "due", "monthly"].flatMap {
            ["\($0).json", "\($0).csv"]
        } + ["index.html"])

    /// Expects `folder` to hold what a rebuild of `log` into a new folder writes.
    static func expectFresh(
        _ folder: String, _ log: String, asOf: String, in directory: TemporaryDirectory,
        _ comment: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let fresh = directory.file("fresh-\(UInt32.random(in: 0...UInt32.max))")
        let made = rebuild(log, into: fresh, asOf: asOf, in: directory)
        #expect(made.status == 0, "\(made.stderr)", sourceLocation: sourceLocation)
        let expected = contents(fresh)
        let found = contents(folder)
        #expect(
            found.keys.sorted() == expected.keys.sorted(), "\(comment): the files",
            sourceLocation: sourceLocation)
        for (name, bytes) in expected where found[name] != bytes {
            Issue.record(
                "\(comment): \(name) differs from a new folder's", sourceLocation: sourceLocation)
        }
    }

    /// A note on family `ref`, recorded on 2026-11-23.
    static func note(_ ref: String, _ id: String) -> String {
        Events.line(
            id: id, stream: "family:\(ref)", type: "note.recorded", on: "2026-11-23",
            actor: "m-301", role: "team-manager",
            data: ["subject": "Follow-up", "body": "A letter came"])
    }

    static func append(_ lines: [String], to log: String, in directory: TemporaryDirectory) {
        let appended = Subprocess.ledger(
            ["append", "--log", log], environment: now,
            stdin: lines.joined(separator: "\n") + "\n", in: directory)
        #expect(appended.status == 0, "\(appended.stderr)")
    }

    /// The family pages current to `day` and no later: those the next day changes.
    static func datedPages(_ folder: String, asOf day: String) -> Set<String> {
        Set(
            fileNames(in: folder + "/families").filter {
                String(decoding: readBytes("\(folder)/families/\($0)"), as: UTF8.self).contains(
                    ", current to \(day)</p>")
                    || String(decoding: readBytes("\(folder)/families/\($0)"), as: UTF8.self)
                        .contains(", current to \(day) ·")
            }.map { "families/\($0)" })
    }

    /// The days the pages of `folder` say they are current to, the earliest first (with each page's family
    /// unchanged, the date changes a page the day after).
    static func currentTo(_ folder: String) -> [String] {
        fileNames(in: folder + "/families").compactMap { name -> String? in
            let page = String(decoding: readBytes("\(folder)/families/\(name)"), as: UTF8.self)
            guard let range = page.range(of: ", current to ") else { return nil }
            return String(page[range.upperBound...].prefix(10))
        }.sorted()
    }

    /// The day after `day` ("2026-11-24" for "2026-11-23").
    static func dayAfter(_ day: String) throws -> String {
        "\(try #require(CivilDate(day)).adding(days: 1))"
    }

    /// The families whose rows in the families, PbR or due CSV files differ between two contents of a folder
    /// (`contents`); each file's rows begin with their family's ref.
    static func familiesWithChangedRows(_ old: [String: [UInt8]], _ new: [String: [UInt8]]) -> Set<
        String
    > {
        func rows(_ bytes: [UInt8]?) -> [String: [String]] {
            var rows: [String: [String]] = [:]
            for line in String(decoding: bytes ?? [], as: UTF8.self).split(separator: "\r\n")
                .dropFirst()
            {
                rows[String(line.prefix { $0 != "," }), default: []].append(String(line))
            }
            return rows
        }
        var changed = Set<String>()
        for name in ["families.csv", "pbr.csv", "due.csv"] {
            let (before, after) = (rows(old[name]), rows(new[name]))
            for ref in Set(before.keys).union(after.keys) where before[ref] != after[ref] {
                changed.insert(ref)
            }
        }
        return changed
    }

    /// The family pages nothing but their family's events will change.
    static func undatedPages(_ folder: String) -> Set<String> {
        Set(
            fileNames(in: folder + "/families").filter {
                !String(decoding: readBytes("\(folder)/families/\($0)"), as: UTF8.self).contains(
                    ", current to ")
            }.map { "families/\($0)" })
    }

    @Test(
        "appends to two families: those two pages, the projections and the front page are written, nothing else"
    )
    func appendsToTwoFamilies() throws {
        let (directory, log) = Self.demo(30)
        let site = directory.file("site")
        #expect(Self.rebuild(log, into: site, asOf: "2026-11-23", in: directory).status == 0)
        let before = Self.identities(site)
        let dated = Self.datedPages(site, asOf: try #require(Self.currentTo(site).first))
        // One family whose page a later day changes, one whose page no day does.
        let open = try #require(dated.sorted().first)
        let closed = try #require(Self.undatedPages(site).sorted().first)
        func ref(_ page: String) -> String { String(page.dropFirst(9).dropLast(5)) }
        Self.append(
            [Self.note(ref(open), "extra-1"), Self.note(ref(closed), "extra-2")], to: log,
            in: directory)

        let again = Self.rebuild(log, into: site, asOf: "2026-11-23", in: directory)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            again.stderr.contains("2 family pages written, 28 left as they were"), "\(again.stderr)"
        )
        let written = Self.changed(before, Self.identities(site))
        #expect(
            written == Self.projections.union([open, closed, Self.plan]), "\(written.sorted())")
        // A page whose family changed keeps no spare of what it showed before.
        for page in [open, closed] {
            #expect(Self.spareFiles(site)[String(page.dropFirst(9))] == nil, "\(page)")
        }
        Self.expectFresh(site, log, asOf: "2026-11-23", in: directory, "after two appends")
        // The closed family's page names the seq it was made to, not the date.
        let page = String(decoding: readBytes("\(site)/\(closed)"), as: UTF8.self)
        let head = readLines(log).count
        #expect(page.contains("From the ledger to seq \(head) "), "\(page.prefix(900))")
        #expect(!page.contains("2026-11-23 ·"))
    }

    @Test(
        "the folder holds each projection as JSON and CSV, each the command's bytes, the dashboard and its shared files"
    )
    func folderContents() throws {
        let (directory, log) = Self.demo(5)
        let site = directory.file("site")
        /// Expects each projection a command prints whole to be in the folder, as JSON and as CSV, byte for byte.
        func expectCommands(asOf: String, _ comment: String) {
            for name in ["families", "pbr", "due"] {
                for format in ["json", "csv"] {
                    let command = Subprocess.ledger(
                        [name, "--format", format, "--as-of", asOf, "--log", log], in: directory)
                    #expect(command.status == 0, "\(command.stderr)")
                    #expect(
                        Array(command.stdout.utf8) == readBytes("\(site)/\(name).\(format)"),
                        "\(comment): \(name).\(format)")
                }
            }
        }
        #expect(Self.rebuild(log, into: site, asOf: "2026-11-23", in: directory).status == 0)
        let top = Set(fileNames(in: site))
        #expect(
            top
                == Self.projections.union([
                    "style.css", "star-frame.svg", "families", ".previous-pages", Self.plan,
                    ".ledger-dashboard",
                ]), "\(top.sorted())")
        for name in Self.projections { #expect(fileMode("\(site)/\(name)") == 0o600, "\(name)") }
        expectCommands(asOf: "2026-11-23", "from scratch")
        // A projection's JSON no longer the file written (here emptied by hand) is written again, with the rest;
        // a file of the user's own is left alone.
        for name in ["families.json", "mine.json"] {
            writeBytes(Array("[]".utf8), to: "\(site)/\(name)")
        }
        #expect(Self.rebuild(log, into: site, asOf: "2026-11-23", in: directory).status == 0)
        #expect(Set(fileNames(in: site)) == top.union(["mine.json"]))
        expectCommands(asOf: "2026-11-23", "after families.json was changed")
        // A day later, the rows of the families the day does not change are copied from the last files: both
        // files still the commands' bytes.
        let next = Self.rebuild(
            log, into: site, asOf: "2026-11-24", in: directory, environment: ["LEDGER_TRACE": "1"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("families.json, .csv, "), "\(next.stderr)")
        expectCommands(asOf: "2026-11-24", "a day later")
    }

    @Test(
        "a day later the rows move, not the pages; the day a status turns, only its pages; then nothing at all"
    )
    func dayLater() throws {
        let (directory, log) = Self.demo(30)
        let site = directory.file("site")
        #expect(Self.rebuild(log, into: site, asOf: "2026-11-23", in: directory).status == 0)
        #expect(!Self.undatedPages(site).isEmpty)
        // A day later: the rows count days (late, waiting) and move for many families; the pages count none, and
        // only those whose status the day turns are written again.
        let first = Self.contents(site)
        let firstFiles = Self.identities(site)
        let turned = Self.datedPages(site, asOf: "2026-11-23")
        let tomorrow = Self.rebuild(
            log, into: site, asOf: "2026-11-24", in: directory,
            environment: ["LEDGER_TRACE": "1"])
        #expect(tomorrow.status == 0, "\(tomorrow.stderr)")
        let rowsChanged = Self.familiesWithChangedRows(first, Self.contents(site))
        #expect(rowsChanged.count > turned.count, "\(rowsChanged.count) against \(turned.count)")
        for name in ["families", "pbr", "due"] {
            #expect(
                tomorrow.stderr.contains(
                    "\(name).json, .csv, \(30 - rowsChanged.count) families' rows copied"),
                "\(tomorrow.stderr)")
        }
        #expect(
            Self.changed(firstFiles, Self.identities(site))
                == Self.projections.union(turned).union([Self.plan]))
        Self.expectFresh(site, log, asOf: "2026-11-24", in: directory, "a day later")

        // The first day the date turns a page's status over.
        let current = try #require(Self.currentTo(site).first)
        let day = try Self.dayAfter(current)
        let before = Self.identities(site)
        let old = Self.contents(site)
        let dated = Self.datedPages(site, asOf: current)
        let pages = before.keys.filter { $0.hasPrefix("families/") }
        #expect(!dated.isEmpty && dated.count < pages.count, "both kinds of page: \(dated.count)")
        let next = Self.rebuild(
            log, into: site, asOf: day, in: directory, environment: ["LEDGER_TRACE": "1"])
        #expect(next.status == 0, "\(next.stderr)")
        // The pages the day changes keep their timelines.
        #expect(
            next.stderr.contains(
                "\(dated.count) pages written, \(dated.count) with the timeline of the page before"),
            "\(next.stderr)")
        let after = Self.identities(site)
        #expect(
            Self.changed(before, after) == Self.projections.union(dated).union([Self.plan]),
            "\(Self.changed(before, after).sorted())")
        #expect(Self.datedPages(site, asOf: current).isEmpty)
        // A page written again for the date alone was exchanged with its spare, which holds the one before.
        let spares = Self.spareFiles(site)
        #expect(
            Set(dated.map { String($0.dropFirst(9)) }).isSubset(of: Set(spares.keys)),
            "\(spares.keys.sorted())")
        for page in dated {
            #expect(spares[String(page.dropFirst(9))] == old[page], "\(page)")
            #expect(fileMode("\(site)/\(Self.spares)\(page.dropFirst(9))") == 0o600)
        }
        #expect(fileMode("\(site)/\(Self.spares)") == 0o700)
        Self.expectFresh(site, log, asOf: day, in: directory, "the day a status turns")

        // The same date again: nothing is read or written.
        let same = Self.rebuild(log, into: site, asOf: day, in: directory)
        #expect(same.status == 0 && same.stderr.contains("nothing changed"), "\(same.stderr)")
        #expect(Self.changed(after, Self.identities(site)).isEmpty)
        // A page removed or written over by hand is written again, and only it.
        let victim = try #require(pages.sorted().last)
        writeBytes(Array("edited".utf8), to: "\(site)/\(victim)")
        FileOutput.remove("\(site)/\(try #require(pages.sorted().first))")
        let mended = Self.rebuild(log, into: site, asOf: day, in: directory)
        #expect(mended.stderr.contains("2 family pages written"), "\(mended.stderr)")
        Self.expectFresh(site, log, asOf: day, in: directory, "mended")
    }

    @Test("a correction and a void rewrite the pages of the families whose events they amend")
    func corrections() throws {
        let (directory, log) = Self.demo(30)
        let site = directory.file("site")
        #expect(Self.rebuild(log, into: site, asOf: "2026-11-23", in: directory).status == 0)
        let before = Self.identities(site)
        // Two notes of two families, as the log has them.
        var notes: [(ref: String, id: String)] = []
        for line in readLines(log) {
            guard let record = try? LineFormat.decode(Array(line.utf8)),
                record.content.type == "note.recorded",
                !notes.contains(where: { "family:\($0.ref)" == record.content.stream })
            else { continue }
            notes.append((String(record.content.stream.dropFirst(7)), record.content.id))
            if notes.count == 2 { break }
        }
        #expect(notes.count == 2)
        let actor = ["m-301", "team-manager"]
        Self.append(
            [
                Events.line(
                    id: "fix-1", stream: "family:\(notes[0].ref)", type: "event.corrected",
                    on: "2026-11-23", actor: actor[0], role: actor[1],
                    data: [
                        "target": .string(notes[0].id), "reason": "Wrong subject",
                        "data": ["subject": "Corrected subject", "body": "A corrected note"],
                    ]),
                Events.line(
                    id: "void-1", stream: "family:\(notes[1].ref)", type: "event.voided",
                    on: "2026-11-23", actor: actor[0], role: actor[1],
                    data: ["target": .string(notes[1].id), "reason": "Entered in error"]),
            ], to: log, in: directory)
        #expect(Self.rebuild(log, into: site, asOf: "2026-11-23", in: directory).status == 0)
        let pages = notes.map { "families/\($0.ref).html" }
        #expect(
            Self.changed(before, Self.identities(site))
                == Self.projections.union(pages).union([Self.plan]))
        #expect(
            String(decoding: readBytes("\(site)/\(pages[0])"), as: UTF8.self).contains(
                "Corrected (seq "))
        #expect(
            String(decoding: readBytes("\(site)/\(pages[1])"), as: UTF8.self).contains(
                "Voided (seq "))
        Self.expectFresh(site, log, asOf: "2026-11-23", in: directory, "after a correction")
    }

    @Test(
        "a redacted family's page is rewritten, in a folder the redaction refreshed and in one it did not know"
    )
    func redaction() throws {
        let (directory, log) = RedactionTests.ledger()
        let known = directory.file("known")
        let elsewhere = directory.file("elsewhere")
        for folder in [known, elsewhere] {
            #expect(Self.rebuild(log, into: folder, asOf: "2026-11-23", in: directory).status == 0)
        }
        // Moved away, the second folder is one `ledger redact` does not know to refresh.
        let moved = directory.file("moved")
        #expect(rename(elsewhere, moved) == 0)
        let redact = RedactionTests.run(
            ["redact", "--family", "OLD", "--reason", "retention-ended", "--actor", "m-001"], log,
            in: directory)
        #expect(redact.status == 0, "\(redact.stderr)")
        let before = String(decoding: readBytes("\(moved)/families/OLD.html"), as: UTF8.self)
        #expect(before.contains("Zebedee Quartermain"))
        #expect(Self.rebuild(log, into: moved, asOf: "2026-11-23", in: directory).status == 0)
        for folder in [known, moved] {
            for file in RedactionTests.files(under: folder) {
                for secret in RedactionTests.secrets {
                    #expect(
                        !RedactionTests.contains(readBytes(file), secret), "\(secret) in \(file)")
                }
            }
            Self.expectFresh(folder, log, asOf: "2026-11-23", in: directory, folder)
        }
        let page = String(decoding: readBytes("\(moved)/families/OLD.html"), as: UTF8.self)
        #expect(page.contains("redacted"), "\(page.suffix(1200))")
    }

    @Test(
        "killed while writing pages: every page whole, old or new; the next rebuild is right",
        arguments: [
            // The front page put in place; a page whose family changed, half-written and put in place; a page
            // the date alone changed, written over its spare and exchanged with it; a projection file; its rows
            // that still hold, copied from the file before (beside the pages); the plan.
            "rename@.html:SIGKILL:0", "write@.html.new:SIGKILL:0", "rename@.html:SIGKILL:1",
            "write@.html:SIGKILL:1", "renameat2@.html:SIGKILL:1", "rename@.csv:SIGKILL:2",
            "sendfile@.json.new:SIGKILL:1", "rename@.rebuild-plan:SIGKILL:0",
        ])
    func killed(fault: String) throws {
        let (directory, log) = Self.demo(30)
        let site = directory.file("site")
        #expect(Self.rebuild(log, into: site, asOf: "2026-11-23", in: directory).status == 0)
        let old = Self.contents(site)
        // A day on which the date turns two pages' status over (at least), as well as the two appends.
        let day = try Self.dayAfter(Self.currentTo(site)[1])
        Self.append(
            [Self.note("F-1003", "extra-1"), Self.note("F-1017", "extra-2")], to: log, in: directory
        )
        let new = directory.file("new")
        #expect(Self.rebuild(log, into: new, asOf: day, in: directory).status == 0)
        let expected = Self.contents(new)

        let killed = Self.rebuild(
            log, into: site, asOf: day, in: directory, environment: ["LEDGER_FAULT": fault]
        )
        #expect(killed.status == 128 + 9, "\(fault): \(killed.status) \(killed.stderr)")
        for (name, bytes) in Self.contents(site) where !name.hasSuffix(".new") {
            #expect(bytes == old[name] || bytes == expected[name], "\(fault): \(name) is neither")
        }
        let next = Self.rebuild(log, into: site, asOf: day, in: directory)
        #expect(next.status == 0, "\(next.stderr)")
        Self.expectFresh(site, log, asOf: day, in: directory, "after \(fault)")
    }

    /// The rows that still hold are copied from the last files by the kernel (`sendfile`), beside the pages. A
    /// copy that fails half-way has every row of that projection made anew; where the kernel cannot copy file to
    /// file, the rows are read and written; either way the folder is a new folder's.
    @Test(
        "a copy of the rows that fails, or that the kernel cannot make: the rows made anew or read, the same folder",
        arguments: ["sendfile:EIO:1", "sendfile:EINVAL:0:persist", ""])
    func copyFails(fault: String) throws {
        let (directory, log) = Self.demo(30)
        let site = directory.file("site")
        #expect(Self.rebuild(log, into: site, asOf: "2026-11-23", in: directory).status == 0)
        Self.append(
            [Self.note("F-1002", "extra-1"), Self.note("F-1017", "extra-2")], to: log,
            in: directory)
        var environment = ["LEDGER_TRACE": "1"]
        if !fault.isEmpty { environment["LEDGER_FAULT"] = fault }
        let result = Self.rebuild(
            log, into: site, asOf: "2026-11-24", in: directory, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr.contains("the projections and the front page beside them"),
            "\(result.stderr)")
        #expect(
            result.stderr.contains("its rows made anew") == fault.hasPrefix("sendfile:EIO"),
            "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(site)/families.csv.new"))
        Self.expectFresh(site, log, asOf: "2026-11-24", in: directory, "a copy failing: \(fault)")
    }

    /// On a morning the due and families files are written on threads of their own and the rest beside them. A
    /// full disk under one of them fails the rebuild (it had hung: the failure, rethrown, was waited for again),
    /// naming the file; the folder keeps every file it had; the next rebuild is a new folder's. Run under
    /// `timeout`, so that a hang fails the test rather than the run.
    @Test(
        "a full disk while the projections are written beside the pages: exit 1 naming the file, nothing half-made",
        arguments: ["due.json.new", "families.json.new", "index.html.new"])
    func fullDiskBeside(file: String) throws {
        let (directory, log) = Self.demo(30)
        let site = directory.file("site")
        #expect(Self.rebuild(log, into: site, asOf: "2026-11-23", in: directory).status == 0)
        Self.append(
            [Self.note("F-1002", "extra-1"), Self.note("F-1017", "extra-2")], to: log,
            in: directory)
        let before = Self.contents(site)
        let new = directory.file("new")
        #expect(Self.rebuild(log, into: new, asOf: "2026-11-24", in: directory).status == 0)
        let expected = Self.contents(new)
        let err = directory.file("full-disk.err")
        let pid = Subprocess.spawn(
            [
                "/usr/bin/timeout", "-s", "KILL", "120", Subprocess.ledgerBinary, "rebuild",
                "--out", site,
                "--as-of", "2026-11-24", "--log", log,
            ], environment: ["LEDGER_FAULT": "write@\(file):ENOSPC:0:persist"], stderrPath: err)
        let status = Subprocess.wait(pid)
        let stderr = String(decoding: readBytes(err), as: UTF8.self)
        #expect(status == 1, "\(file): exit \(status) (137: it hung and was killed): \(stderr)")
        #expect(
            stderr.contains("write failed on \(site)/\(file): No space left on device"), "\(stderr)"
        )
        let after = Self.contents(site)
        #expect(!after.keys.contains { $0.hasSuffix(".new") }, "\(after.keys.sorted())")
        // Each file whole: the one before, or the one a rebuild into a new folder makes; the failed one, before.
        for (name, bytes) in after {
            #expect(
                bytes == before[name] || bytes == expected[name], "\(file): \(name) is neither")
        }
        #expect(after[String(file.dropLast(4))] == before[String(file.dropLast(4))], "\(file)")
        let next = Self.rebuild(log, into: site, asOf: "2026-11-24", in: directory)
        #expect(next.status == 0, "\(next.stderr)")
        Self.expectFresh(
            site, log, asOf: "2026-11-24", in: directory, "after a full disk on \(file)")
    }

    /// A plan (or index) damaged in any byte: the rebuild after it writes what a rebuild into a new folder
    /// writes. The folder is made from the log before two appends (the log after them extends it, so the plan
    /// holds), so that a plan read wrongly would keep the two families' stale pages.
    @Test("a bit flipped in the plan or in the index never yields a wrong page")
    func damaged() throws {
        let (directory, before) = Self.demo(6)
        let after = directory.file("after.jsonl")
        writeBytes(readBytes(before), to: after)
        Self.append(
            [Self.note("F-1001", "extra-1"), Self.note("F-1004", "extra-2")], to: after,
            in: directory)
        let fresh = directory.file("fresh")
        #expect(Self.rebuild(after, into: fresh, asOf: "2026-11-23", in: directory).status == 0)
        let expected = Self.contents(fresh)
        let site = directory.file("site")
        for target in ["plan", "index"] {
            // Undamaged, the plan holds and the index is used: two pages are written.
            #expect(Self.rebuild(before, into: site, asOf: "2026-11-23", in: directory).status == 0)
            let control = Self.rebuild(
                after, into: site, asOf: "2026-11-23", in: directory,
                environment: ["LEDGER_TRACE": "1"])
            #expect(control.stderr.contains("2 family pages written, 4 left"), "\(control.stderr)")
            #expect(!control.stderr.contains("family lines: not used"), "\(control.stderr)")
            #expect(Self.rebuild(before, into: site, asOf: "2026-11-23", in: directory).status == 0)
            let file = target == "plan" ? "\(site)/\(Self.plan)" : "\(after).family-lines"
            let bytes = readBytes(file)
            // A spread over the whole file, and what says the two families' pages and rows are current.
            var positions = Set(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)))
            if target == "plan" {
                let text = String(decoding: bytes, as: UTF8.self)
                for ref in ["F-1001", "F-1004"] {
                    let range = try #require(text.range(of: "P\t\(ref)\t"))
                    let start = text.utf8.distance(from: text.startIndex, to: range.upperBound)
                    // Its seq and dates byte by byte; its file's identity, rows' places and PbR cells
                    // every fifth byte.
                    let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
                    positions.formUnion(start..<(start + 12))
                    positions.formUnion(stride(from: start + 12, to: end, by: 5))
                }
            }
            for position in positions.sorted() {
                // The folder as the log before the appends made it, then the file damaged.
                #expect(
                    Self.rebuild(before, into: site, asOf: "2026-11-23", in: directory).status == 0)
                var damaged = readBytes(file)
                damaged[position] ^= 1 << UInt8(position % 8)
                writeBytes(damaged, to: file)
                let result = Self.rebuild(after, into: site, asOf: "2026-11-23", in: directory)
                #expect(result.status == 0, "\(target) byte \(position): \(result.stderr)")
                #expect(
                    Self.contents(site) == expected, "\(target) byte \(position): a wrong output")
            }
        }
    }
}
