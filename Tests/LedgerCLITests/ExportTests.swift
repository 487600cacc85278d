import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `ledger export`, read back as an analyst's engine would read it.
@Suite("ledger export: the applied view, hive-partitioned")
struct ExportTests {
    static let now = ["LEDGER_NOW": "2026-11-23T12:00:00Z"]

    /// Every file of an export, by path inside it, with its bytes.
    static func files(_ root: String, under prefix: String = "") -> [String: [UInt8]] {
        var found: [String: [UInt8]] = [:]
        for name in fileNames(in: root + "/" + prefix) {
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            let names = fileNames(in: root + "/" + relative)
            if names.isEmpty && !name.hasPrefix("type=") && !name.hasPrefix("month=") {
                found[relative] = readBytes(root + "/" + relative)
            } else {
                found.merge(files(root, under: relative)) { $1 }
            }
        }
        return found
    }

    @Test(
        "the demo log's export holds every standing event once, corrections applied, voids gone, counted as monthly counts"
    )
    func demoExportReadBack() throws {
        let log = try DemoLog.path(families: 40)
        let directory = TemporaryDirectory()
        let out = directory.file("export")
        let result = Subprocess.ledger(["export", "--out", out, "--log", log], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let files = Self.files(out)
        #expect(files["schema.json"] != nil)
        // The log as the reference parser reads it.
        let records = try readLines(log).map { try LineFormat.decode(Array($0.utf8)) }
        var corrected: [String: (by: String, data: JSONValue)] = [:]
        var voided = Set<String>()
        for record in records {
            let data = record.content.data.objectValue
            if record.content.type == "event.corrected", let target = data?["target"]?.stringValue,
                let replacement = data?["data"]
            {
                corrected[target] = (record.content.id, replacement)
            }
            if record.content.type == "event.voided", let target = data?["target"]?.stringValue {
                voided.insert(target)
            }
        }
        #expect(
            !corrected.isEmpty && !voided.isEmpty,
            "the demo log has no corrections or voids to check")
        let standing = records.filter {
            $0.content.type != "event.corrected" && $0.content.type != "event.voided"
                && !voided.contains($0.content.id)
        }
        // Read back: each row in the partition of its type and month.
        var rows: [Int: (type: String, month: String, row: JSONObject)] = [:]
        var perTypeMonth: [String: Int] = [:]
        for (path, bytes) in files where path != "schema.json" {
            let parts = path.split(separator: "/").map(String.init)
            #expect(parts.count == 3 && parts[2] == "events.jsonl", "\(path)")
            let type = String(parts[0].dropFirst("type=".count))
            let month = String(parts[1].dropFirst("month=".count))
            var lastSeq = 0
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let row = try #require(try JSONParser.parse(Array(line.utf8)).objectValue)
                let seq = try #require(row["seq"]?.intValue)
                #expect(rows[seq] == nil, "seq \(seq) exported twice")
                #expect(seq > lastSeq, "rows out of log order in \(path)")
                lastSeq = seq
                #expect(
                    row["type"] == nil && row["month"] == nil,
                    "partition columns repeated in the rows")
                rows[seq] = (type, month, row)
                perTypeMonth["\(type) \(month)", default: 0] += 1
            }
        }
        #expect(rows.count == standing.count)
        for record in standing {
            let exported = try #require(
                rows[record.seq], "seq \(record.seq) (\(record.content.type)) missing")
            #expect(exported.type == record.content.type)
            #expect(exported.month == String(record.content.occurredAt.prefix(7)))
            #expect(exported.row["id"]?.stringValue == record.content.id)
            #expect(exported.row["stream"]?.stringValue == record.content.stream)
            #expect(exported.row["actor"] == record.content.actor)
            #expect(exported.row["redacted"] == .null)
            if let correction = corrected[record.content.id] {
                #expect(
                    exported.row["data"] == correction.data,
                    "seq \(record.seq): correction not applied")
                #expect(exported.row["correctedBy"] == .array([.string(correction.by)]))
            } else {
                #expect(exported.row["data"] == record.content.data)
                #expect(exported.row["correctedBy"] == .array([]))
            }
        }
        // The same counts per month as `monthly`: referrals and closures.
        let months = Set(standing.map { String($0.content.occurredAt.prefix(7)) })
        var compared = 0
        for month in months.sorted() {
            let monthly = Subprocess.ledger(
                ["monthly", "--month", month, "--format", "json", "--log", log],
                environment: Self.now, in: directory)
            let figures = try #require(
                try JSONParser.parse(Array(monthly.stdout.utf8)).arrayValue?.first?.objectValue)
            #expect(
                figures["referrals"]?.intValue
                    == perTypeMonth["referral.received \(month)", default: 0], "\(month) referrals")
            #expect(
                figures["closuresTotal"]?.intValue
                    == perTypeMonth["case.closed \(month)", default: 0], "\(month) closures")
            compared += 1
        }
        #expect(compared >= 10)
        // schema.json counts the same rows.
        let schemaBytes = try #require(files["schema.json"])
        let schema = try #require(try JSONParser.parse(schemaBytes).objectValue)
        let types = try #require(schema["types"]?.objectValue)
        for (key, count) in perTypeMonth {
            let parts = key.split(separator: " ").map(String.init)
            #expect(
                types[parts[0]]?.objectValue?["months"]?.objectValue?[parts[1]]?.intValue == count,
                "\(key)")
        }
        #expect(types["referral.received"]?.objectValue?["data"]?.objectValue?["members"] != nil)
    }

    @Test("a redacted event's row says it was redacted, with its notice, not only empty data")
    func redactedRowsSaySo() throws {
        let (directory, log, lines) = RedactionNoticeTests.prepared()
        let redactedLine = try #require(lines.first { $0.contains(#""id":"n-1""#) })
        let notice = try #require(
            try JSONParser.parse(Array(redactedLine.utf8)).objectValue?["redacted"])
        #expect(notice.objectValue?["reason"] == "wrong-family")
        let out = directory.file("export")
        let result = Subprocess.ledger(["export", "--out", out, "--log", log], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let notes = try #require(
            Self.files(out)["type=note.recorded/month=2026-02/events.jsonl"])
        let rows = try String(decoding: notes, as: UTF8.self).split(separator: "\n").map {
            try #require(try JSONParser.parse(Array($0.utf8)).objectValue)
        }
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0["id"]?.stringValue ?? "", $0) })
        #expect(byID["n-1"]?["data"] == .object(JSONObject()))
        #expect(byID["n-1"]?["redacted"] == notice)
        #expect(byID["n-2"]?["redacted"] == .null)
        #expect(byID["n-2"]?["data"]?.objectValue?["body"] == "Private words n-2")
        let schema = try #require(
            try JSONParser.parse(Self.files(out)["schema.json"] ?? []).objectValue)
        #expect(schema["rows"]?.objectValue?["redacted"] != nil)
    }

    @Test("an earlier export holding files of the user's is refused, and they are kept")
    func foreignFilesKept() throws {
        let log = try DemoLog.path(families: 10)
        let directory = TemporaryDirectory()
        let out = directory.file("export")
        #expect(
            Subprocess.ledger(["export", "--out", out, "--log", log], in: directory).status == 0)
        let monthFolder = try #require(
            Self.files(out).keys.first { $0.hasSuffix("/events.jsonl") }.map {
                String($0.dropLast(13))
            })
        for extra in ["NOTES.md", "\(monthFolder)/query.sql"] {
            writeBytes(Array("mine\n".utf8), to: "\(out)/\(extra)")
            let again = Subprocess.ledger(["export", "--out", out, "--log", log], in: directory)
            #expect(
                again.status == 2 && again.stderr.contains("also holds"),
                "\(extra): \(again.stderr)")
            #expect(readBytes("\(out)/\(extra)") == Array("mine\n".utf8), "\(extra) was removed")
            _ = unlink("\(out)/\(extra)")
        }
    }

    @Test(
        "the same log exports the same bytes; an earlier export is replaced whole; other folders are refused"
    )
    func idempotentAndAtomic() throws {
        let log = try DemoLog.path(families: 40)
        let directory = TemporaryDirectory()
        let out = directory.file("export")
        #expect(
            Subprocess.ledger(["export", "--out", out, "--log", log], in: directory).status == 0)
        let first = Self.files(out)
        #expect(
            Subprocess.ledger(["export", "--out", out, "--log", log], in: directory).status == 0)
        #expect(Self.files(out) == first)
        #expect(
            !fileNames(in: directory.path).contains {
                $0.hasSuffix(".partial") || $0.hasSuffix(".old")
            })
        // As of an earlier date: fewer rows, the tree replaced (no partition left from the later export).
        #expect(
            Subprocess.ledger(
                ["export", "--out", out, "--as-of", "2026-03-31", "--log", log], in: directory
            ).status == 0)
        let earlier = Self.files(out)
        #expect(earlier.count < first.count)
        #expect(!earlier.keys.contains { $0.contains("month=2026-04") })
        // A folder that is not an export is never written over.
        let other = directory.file("documents")
        try FileOutput.makeDirectory(other)
        writeBytes(Array("keep me".utf8), to: other + "/notes.txt")
        let refused = Subprocess.ledger(["export", "--out", other, "--log", log], in: directory)
        #expect(refused.status == 2 && refused.stderr.contains("not a ledger export"))
        #expect(readBytes(other + "/notes.txt") == Array("keep me".utf8))
    }

    /// The inode of each partition file of an export.
    static func inodes(_ root: String) -> [String: UInt] {
        var found: [String: UInt] = [:]
        for path in files(root).keys where path.hasSuffix("events.jsonl") {
            var info = stat()
            if lstat(root + "/" + path, &info) == 0 { found[path] = UInt(info.st_ino) }
        }
        return found
    }

    @Test(
        "a re-export links the files whose rows did not change and writes the others; the same bytes as a new export"
    )
    func reExportLinksWhatDidNotChange() throws {
        let ledger = try TestLedger()
        try ledger.append(
            Events.staff + [
                Events.referral("F-1", on: "2026-02-02"),
                Events.line(
                    id: "n-1", stream: "family:F-1", type: "note.recorded", on: "2026-02-12",
                    data: ["subject": "Visit", "body": "Seen with mum"]),
                Events.line(
                    id: "n-2", stream: "family:F-1", type: "note.recorded", on: "2026-03-12",
                    data: ["subject": "Visit", "body": "Seen at school"]),
            ])
        let directory = TemporaryDirectory()
        let out = directory.file("export")
        func export(_ target: String) {
            let result = Subprocess.ledger(
                ["export", "--out", target, "--log", ledger.path], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
        }
        export(out)
        let first = Self.inodes(out)
        #expect(first.count >= 3)
        // The same log again: every partition file is the one already there (nothing written).
        export(out)
        #expect(Self.inodes(out) == first)
        // A note in March: that month's notes are written anew, the rest stay.
        try ledger.append([
            Events.line(
                id: "n-3", stream: "family:F-1", type: "note.recorded", on: "2026-03-19",
                data: ["subject": "Call", "body": "Mum rang"])
        ])
        export(out)
        let third = Self.inodes(out)
        let march = "type=note.recorded/month=2026-03/events.jsonl"
        #expect(third[march] != nil && third[march] != first[march])
        for (path, inode) in first where path != march {
            #expect(third[path] == inode, "\(path) was written again")
        }
        // The same bytes as an export into a new folder, and no file left over beside it.
        let fresh = directory.file("fresh")
        export(fresh)
        #expect(Self.files(out) == Self.files(fresh))
        #expect(!fileNames(in: directory.path).contains { $0.hasSuffix(".partial") })
    }
}
