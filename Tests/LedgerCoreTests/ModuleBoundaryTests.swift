import Foundation
import Testing

/// The modules' one-way shape (issue 18), checked from their sources: with `MemberImportVisibility` on, a file
/// can use only what it imports, so a module's imports are what it may reach.
///
/// - The domain (`Sources/LedgerCore`) reads and writes the line format through EventLog's types and nothing
///   else: no Glibc, no Dispatch, no Foundation, and none of EventLog's files, locks, threads or system calls.
/// - The folds (`Projections`) do no I/O and know nothing of the engine, the queries or the command.
/// - The engine (`Sources/LedgerEngine`) knows nothing of the folds; the demo nothing of the folds or queries.
@Suite("Module boundaries")
struct ModuleBoundaryTests {
    /// EventLog's types that touch files, locks, threads or the kernel.
    static let storageTypes = [
        "DirectoryTree", "FileOutput", "OutputFile", "AtomicOutput", "IdIndex", "LedgerFile",
        "LockedLedger", "RecoveryReport", "LogReader", "LineReader", "LogTail", "FileWatcher",
        "ParallelLineReader", "ParallelMap", "Syscalls", "SystemCallError", "FaultInjection",
        "FileStatus",
    ]

    static let allowedImports: [(folder: String, modules: Set<String>)] = [
        ("Sources/LedgerCore", ["EventLog"]),
        ("Projections", ["EventLog", "LedgerCore", "LedgerDemo"]),
        ("Sources/LedgerEngine", ["EventLog", "LedgerCore", "Glibc", "Darwin", "Dispatch"]),
        ("Sources/LedgerDemo", ["EventLog", "LedgerCore", "LedgerEngine"]),
        (
            "Sources/LedgerQueries",
            [
                "EventLog", "LedgerCore", "LedgerEngine", "LedgerDemo", "Projections", "Glibc",
                "Dispatch",
            ]
        ),
    ]

    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/LedgerCoreTests/ModuleBoundaryTests.swift
        return parts.joined(separator: "/")
    }()

    static func sources(in folder: String) throws -> [(name: String, text: String)] {
        let path = root + "/" + folder
        return try FileManager.default.contentsOfDirectory(atPath: path).filter {
            $0.hasSuffix(".swift")
        }
        .sorted().map { ($0, try String(contentsOfFile: path + "/" + $0, encoding: .utf8)) }
    }

    /// The code of a file without its comments (`//` to the end of a line; string literals are left alone, and
    /// none of ours holds `//` followed by a type name).
    static func code(_ text: String) -> [Substring] {
        text.split(separator: "\n").map { line in
            if let comment = line.range(of: "//") { return line[..<comment.lowerBound] }
            return line
        }
    }

    @Test("each module imports only the modules below it", arguments: allowedImports.map(\.folder))
    func imports(folder: String) throws {
        let allowed = Self.allowedImports.first { $0.folder == folder }?.modules ?? []
        let files = try Self.sources(in: folder)
        #expect(!files.isEmpty, "no sources found in \(folder)")
        for (name, text) in files {
            for line in Self.code(text) {
                let words = line.split(separator: " ")
                guard let index = words.firstIndex(of: "import"), index + 1 < words.count,
                    words[..<index].allSatisfy({ $0.hasPrefix("@") })
                else { continue }
                let module = String(words[index + 1])
                #expect(allowed.contains(module), "\(folder)/\(name) imports \(module)")
            }
        }
    }

    @Test("the domain and the folds name none of the storage engine's I/O types")
    func noStorageInTheDomain() throws {
        for folder in ["Sources/LedgerCore", "Projections"] {
            for (name, text) in try Self.sources(in: folder) {
                let code = Self.code(text).joined(separator: "\n")
                for type in Self.storageTypes where Self.mentions(code, type) {
                    Issue.record("\(folder)/\(name) uses \(type)")
                }
            }
        }
    }

    @Test("the check sees a use of an I/O type and ignores one in a comment")
    func checkerCanFail() {
        #expect(Self.mentions("let file = try LedgerFile(path: p)", "LedgerFile"))
        #expect(!Self.mentions("let file = try LedgerFileName(path: p)", "LedgerFile"))
        #expect(Self.code("x = 1 // LedgerFile here").joined().contains("LedgerFile") == false)
    }

    /// Whether `code` names `type` as a whole word.
    static func mentions(_ code: String, _ type: String) -> Bool {
        var rest = code[...]
        while let found = rest.range(of: type) {
            let before =
                found.lowerBound == rest.startIndex
                ? nil : rest[rest.index(before: found.lowerBound)]
            let after = found.upperBound == rest.endIndex ? nil : rest[found.upperBound]
            func isWord(_ c: Character?) -> Bool {
                c.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false
            }
            if !isWord(before) && !isWord(after) { return true }
            rest = rest[found.upperBound...]
        }
        return false
    }
}
