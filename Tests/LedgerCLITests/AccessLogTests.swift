#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

@Suite("the access log: who looked at which family's record")
struct AccessLogTests {
    /// The operating-system user the tests run as, as the ledger names it.
    static var user: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else {
            return "uid \(geteuid())"
        }
        return String(cString: name)
    }

    static func entries(_ log: SubjectAccessLog, _ extra: [String] = []) -> [JSONObject] {
        log.run(["access", "--format", "jsonl"] + extra).stdout.split(separator: "\n").compactMap {
            try? JSONParser.parse(String($0)).objectValue
        }
    }

    @Test(
        "a read through a second name (a hard link) is refused: it would be logged in that name's access log",
        arguments: [["timeline", "F-1"], ["families"], ["export-family", "F-1", "--out", "sar"]])
    func hardLinkedRefused(command: [String]) throws {
        let log = try SubjectAccessLog()
        let second = log.directory.file("second.jsonl")
        #expect(link(log.path, second) == 0)
        let arguments = command.map { $0 == "sar" ? log.directory.file("sar") : $0 }
        let result = Subprocess.ledger(
            arguments + ["--log", second], environment: SubjectAccessLog.now, in: log.directory)
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("has 2 names (hard links)"), "\(result.stderr)")
        #expect(FileOutput.size(second + ".access") == nil)
        #expect(FileOutput.size(log.directory.file("sar")) == nil)
    }

    @Test(
        "timeline, export-family and --family queries are recorded with the viewer and the OS user; bulk reads once"
    )
    func recordsReads() throws {
        let log = try SubjectAccessLog()
        #expect(FileOutput.size(log.path + ".access") == nil, "nothing read yet, no access log")
        #expect(log.run(["timeline", "F-1", "--viewer", "w-017"]).status == 0)
        #expect(
            log.run(
                ["families", "--family", "family:F-1"], environment: ["LEDGER_VIEWER": "m-001"]
            ).status == 0)
        #expect(log.run(["due", "--family", "F-2", "--viewer", "w-017"]).status == 0)
        #expect(log.run(["pbr", "--family", "F-1"]).status == 0)
        #expect(
            log.run([
                "export-family", "F-1", "--out", log.directory.file("sar"), "--viewer", "ig-1",
            ]).status == 0)
        #expect(log.run(["families"]).status == 0)
        #expect(log.run(["rebuild", "--out", log.directory.file("site")]).status == 0)
        #expect(fileMode(log.path + ".access") == 0o600)

        let all = Self.entries(log)
        let expected: [(String, JSONValue, JSONValue)] = [
            ("timeline", "F-1", "w-017"), ("families", "F-1", "m-001"), ("due", "F-2", "w-017"),
            ("pbr", "F-1", .null),
            ("export-family", "F-1", "ig-1"), ("families", .null, .null), ("rebuild", .null, .null),
        ]
        #expect(all.count == expected.count, "\(all)")
        for (index, (entry, (command, family, viewer))) in zip(all, expected).enumerated() {
            #expect(entry["seq"]?.intValue == index + 1)
            #expect(
                entry["command"] == .string(command) && entry["family"] == family
                    && entry["viewer"] == viewer, "\(entry)")
            #expect(entry["user"] == .string(Self.user))
            #expect(entry["at"] == "2026-11-23T12:00:00Z")
        }
        // Filtered by family and date; every format.
        #expect(
            Self.entries(log, ["F-1"]).map { $0["command"] } == [
                "timeline", "families", "pbr", "export-family",
            ])
        #expect(Self.entries(log, ["--since", "2026-11-24"]).isEmpty)
        #expect(Self.entries(log, ["--since", "2026-11-23"]).count == 7)
        let csv = log.run(["access", "F-2", "--format", "csv"])
        #expect(
            csv.stdout
                == "seq,at,user,viewer,command,family\r\n3,2026-11-23T12:00:00Z,\(Self.user),w-017,due,F-2\r\n",
            "\(csv.stdout)")
        #expect(log.run(["access", "--format", "table"]).stdout.contains("export-family"))
        #expect(log.run(["access", "--format", "json"]).stdout.hasPrefix("["))
        // Reading the access log is not itself a read of a family's record.
        #expect(Self.entries(log).count == 7)
        let verify = log.run(["verify"])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(
            verify.stdout.contains("access log") && verify.stdout.contains("7 entries, chain OK"),
            "\(verify.stdout)")
    }

    @Test(
        "an edited entry, a removed entry, an inserted copy: verify fails naming the first bad entry; the event log's result stays"
    )
    func tampering() throws {
        let log = try SubjectAccessLog()
        for viewer in ["a-1", "a-2", "a-3", "a-4"] {
            #expect(log.run(["timeline", "F-1", "--viewer", viewer]).status == 0)
        }
        let accessPath = log.path + ".access"
        let original = readLines(accessPath)
        #expect(original.count == 4)
        func write(_ lines: [String]) {
            writeBytes(Array((lines.joined(separator: "\n") + "\n").utf8), to: accessPath)
        }

        // The viewer of entry 2 changed.
        var edited = original
        edited[1] = edited[1].replacing(#""viewer":"a-2""#, with: #""viewer":"a-9""#)
        #expect(edited[1] != original[1])
        write(edited)
        var verify = log.run(["verify"])
        #expect(verify.status == 1)
        #expect(
            verify.stdout.contains("verified ")
                && verify.stdout.contains("events: chain, hashes and contract OK"),
            "the event log's result as before")
        #expect(verify.stderr.contains("first bad entry, seq 2"), "\(verify.stderr)")
        #expect(log.run(["access"]).stderr.contains("first bad entry, seq 2"))

        // Entry 3's family changed, with its own hashes recomputed: the next entry's prev no longer matches.
        write(original)
        #expect(log.run(["verify"]).status == 0)
        var record = try LineFormat.decode(Array(original[2].utf8))
        record.content.stream = "family:F-2"
        let forged = LineFormat.encode(
            record.content, seq: 3, recordedAt: record.recordedAt, prev: record.prev,
            salt: record.salt ?? "")
        write([
            original[0], original[1], String(decoding: forged.line.dropLast(), as: UTF8.self),
            original[3],
        ])
        verify = log.run(["verify"])
        #expect(
            verify.status == 1 && verify.stderr.contains("first bad entry, seq 4"),
            "\(verify.stderr)")
        // Entry 2 removed.
        write([original[0], original[2], original[3]])
        verify = log.run(["verify"])
        #expect(verify.status == 1)
        #expect(
            verify.stderr.contains("first bad entry, seq 2")
                && verify.stderr.contains("seq is 3, expected 2"), "\(verify.stderr)")
        // The last entry removed is not detectable from the access log alone (as with the event log: anchor its head).
        // Entry 4 duplicated at the end.
        write(original + [original[3]])
        verify = log.run(["verify"])
        #expect(
            verify.status == 1 && verify.stderr.contains("first bad entry, seq 5"),
            "\(verify.stderr)")
        // Entry 1 in another line format (not an entry at all).
        write(["{\"hello\":1}"] + original.dropFirst())
        verify = log.run(["verify"])
        #expect(
            verify.status == 1 && verify.stderr.contains("first bad entry, seq 1"),
            "\(verify.stderr)")
    }

    @Test(
        "a read whose access cannot be recorded shows nothing and fails; a torn entry left by a crash is moved aside"
    )
    func failsClosed() throws {
        let log = try SubjectAccessLog()
        #expect(log.run(["timeline", "F-1"]).status == 0)
        let before = readBytes(log.path + ".access")
        for fault in [
            "fsync@.access:EIO:0:persist", "write@.access:ENOSPC:0:persist",
            "open@.access:EIO:0:persist",
        ] {
            let environment = ["LEDGER_FAULT": fault]
            let timeline = log.run(
                ["timeline", "F-1", "--format", "jsonl"], environment: environment)
            #expect(timeline.status == 1, "\(fault)")
            #expect(timeline.stdout.isEmpty, "\(fault): nothing of the record shown")
            #expect(
                timeline.stderr.contains("cannot record this access in the access log"),
                "\(fault): \(timeline.stderr)")
            let families = log.run(
                ["families", "--family", "F-1", "--format", "json"], environment: environment)
            #expect(families.status == 1 && families.stdout.isEmpty, "\(fault)")
            let out = log.directory.file("sar-\(fault.prefix(5))")
            let export = log.run(["export-family", "F-1", "--out", out], environment: environment)
            #expect(
                export.status == 1 && FileOutput.size(out) == nil, "\(fault): no bundle written")
            let rebuild = log.run(["rebuild", "--out", out], environment: environment)
            #expect(
                rebuild.status == 1 && FileOutput.size(out) == nil, "\(fault): no dashboard written"
            )
        }
        #expect(readBytes(log.path + ".access") == before, "failed appends leave no trace")

        // A crash mid-append leaves a torn last line: verify says so without failing, the next read moves it aside.
        let torn = Array(#"{"seq":2,"id":"torn"#.utf8)
        writeBytes(before + torn, to: log.path + ".access")
        let verify = log.run(["verify"])
        #expect(
            verify.status == 0 && verify.stdout.contains("cut off by a crash"),
            "\(verify.stdout) \(verify.stderr)")
        #expect(log.run(["timeline", "F-1", "--viewer", "after"]).status == 0)
        #expect(Self.entries(log).map { $0["viewer"] } == [.null, "after"])
        #expect(FileOutput.size(log.path + ".access.torn-2") == torn.count)
        #expect(log.run(["verify"]).status == 0)
    }
}
