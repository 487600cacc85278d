import EventLog
import LedgerCore
import LedgerTestSupport
import Projections
import Testing

/// Each family its own dashboard page: refs that an older build gave one file name get two, each with its own
/// children, and no page of a family the rebuild does not have is left in the folder.
@Suite("ledger CLI: one family, one page")
struct FamilyPageNameTests {
    /// Refs that shared a page before (`.a` and `_.a`; two 64-character refs alike but for the last character),
    /// and refs that differ only by case, which a case-insensitive file system would put in one file.
    static let refs = [
        ".a", "_.a", String(repeating: "A", count: 63) + "x",
        String(repeating: "A", count: 63) + "y",
        "fam-1", "FAM-1", "Fam-1", "CON", "a..b",
    ]

    /// A referral for `ref` whose child is named after the family, so a page shows whose children it has.
    static func referral(_ ref: String, index: Int) -> String {
        let members: JSONValue = [
            [
                "id": .string("c-\(index)"), "name": .string("Child\(index)Name"),
                "dob": "2015-04-01", "role": "child",
            ],
            ["id": .string("p-\(index)"), "name": "Parent", "role": "parent"],
        ]
        return Events.line(
            id: "ref-\(index)", stream: "family:\(ref)", type: "referral.received",
            on: "2026-02-02", actor: "m-001",
            role: "team-manager",
            data: ["source": "school", "reason": "Attendance", "members": members])
    }

    /// The page each family's link on the front page leads to, by ref.
    static func linkedPages(_ site: String) -> [String: String] {
        let index = String(decoding: readBytes(site + "/index.html"), as: UTF8.self)
        var pages: [String: String] = [:]
        // <a href="families/NAME">REF</a>, with the ref HTML-escaped (these refs have nothing to escape).
        for piece in index.split(separator: "<a href=\"families/").dropFirst() {
            guard let quote = piece.firstIndex(of: "\"") else { continue }
            let name = String(piece[..<quote])
            let ref = String(piece[piece.index(quote, offsetBy: 2)...].prefix(while: { $0 != "<" }))
            pages[ref] = name
        }
        return pages
    }

    @Test(
        "refs that collided get a page each, with their own children, named apart even ignoring case"
    )
    func injective() throws {
        let (directory, log) = CLIWriteTests.initialized()
        let lines = Events.staff + Self.refs.enumerated().map { Self.referral($1, index: $0) }
        let append = Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: lines.joined(separator: "\n") + "\n",
            in: directory)
        #expect(append.status == 0, "\(append.stderr)")
        let site = directory.file("site")
        let rebuild = Subprocess.ledger(
            ["rebuild", "--out", site, "--as-of", "2026-03-01", "--log", log],
            environment: CLIWriteTests.now,
            in: directory)
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        let names = fileNames(in: site + "/families").filter { $0.hasSuffix(".html") }
        #expect(names.count == Self.refs.count, "\(names)")
        #expect(
            Set(names.map { $0.lowercased() }).count == Self.refs.count,
            "two names differ only by case")
        let linked = Self.linkedPages(site)
        for (index, ref) in Self.refs.enumerated() {
            let name = try #require(linked[ref], "\(ref) is linked from the front page")
            #expect(!name.hasPrefix(".") && !name.contains("..") && !name.contains("/"), "\(name)")
            let page = String(decoding: readBytes(site + "/families/" + name), as: UTF8.self)
            #expect(
                page.contains("Child\(index)Name"), "\(ref)'s page, \(name), shows its own child")
            for other in Self.refs.indices where other != index {
                #expect(
                    !page.contains("Child\(other)Name"),
                    "\(ref)'s page, \(name), shows \(Self.refs[other])'s child")
            }
        }
    }

    @Test("a rebuild over an older output removes the pages and spares no family of it has")
    func stalePages() throws {
        let (directory, log) = CLIWriteTests.initialized()
        let lines = Events.staff + [Self.referral("F-1", index: 1), Self.referral("f-2", index: 2)]
        let append = Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: lines.joined(separator: "\n") + "\n",
            in: directory)
        #expect(append.status == 0, "\(append.stderr)")
        let site = directory.file("site")
        let arguments = ["rebuild", "--out", site, "--as-of", "2026-03-01", "--log", log]
        #expect(
            Subprocess.ledger(arguments, environment: CLIWriteTests.now, in: directory).status == 0)
        // An older build's page for f-2 (named f-2.html then), one of a family since gone, and its spare.
        let stale = ["f-2.html", "F-9.html"]
        for name in stale {
            writeBytes(Array("<p>stale</p>".utf8), to: "\(site)/families/\(name)")
            writeBytes(Array("<p>stale</p>".utf8), to: "\(site)/.previous-pages/\(name)")
        }
        writeBytes(Array("kept".utf8), to: "\(site)/families/notes.txt")
        #expect(
            Subprocess.ledger(arguments, environment: CLIWriteTests.now, in: directory).status == 0)
        let names = fileNames(in: site + "/families")
        #expect(names == ["F-1.html", "_f-2.html", "notes.txt"].sorted(), "\(names)")
        for name in stale { #expect(!fileNames(in: site + "/.previous-pages").contains(name)) }
    }

    @Test("the naming is injective over every ref of up to three characters, ignoring case")
    func exhaustive() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
        var seen = Set<String>()
        var count = 0
        var wrong: [String] = []
        func visit(_ ref: String) {
            let name = HTML.familyPageName(ref)
            count += 1
            if !seen.insert(name.lowercased()).inserted {
                wrong.append("\(ref) → \(name) collides")
            }
            if name.hasPrefix(".") || name.filter({ $0 == "." }).count != 1
                || !name.hasSuffix(".html")
            {
                wrong.append("\(ref) → \(name)")
            }
        }
        for first in alphabet {
            visit(String(first))
            for second in alphabet {
                visit(String([first, second]))
                for third in alphabet { visit(String([first, second, third])) }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
        #expect(seen.count == count)
        #expect(HTML.familyPageName(String(repeating: "z", count: 64)).utf8.count == 133)
    }

    @Test(
        "the file name of a ref",
        arguments: [
            ("F-102", "F-102.html"), ("f-102", "_f-102.html"), (".a", "_0_a.html"),
            ("_.a", "___0_a.html"),
            ("..", "_0_0.html"), ("CON", "CON_1.html"), ("con", "_c_o_n.html"),
            ("a/b", "_a_92f__b.html"),
            ("", "_1.html"),
        ])
    func names(ref: String, expected: String) {
        #expect(HTML.familyPageName(ref) == expected)
    }
}
