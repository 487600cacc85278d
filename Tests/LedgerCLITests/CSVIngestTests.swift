import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `ledger ingest --csv FILE --map MAP.json`, run as a user runs it, with the example maps in docs/maps/.
@Suite("ledger ingest --csv: CSV exports through a map")
struct CSVIngestTests {
    static let now = ["LEDGER_NOW": "2026-11-23T12:00:00Z"]
    /// docs/maps/ in this checkout.
    static let maps: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/docs/maps"
    }()

    /// A log with the example maps' systems registered.
    static func initialized() -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory()
        let log = directory.file("ledger.jsonl")
        let result = Subprocess.ledger(
            [
                "init", "--log", log, "--system", "mosaic:case-system-export", "--system",
                "school-feed:school-attendance",
            ],
            environment: now, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        return (directory, log)
    }

    static func ingest(
        _ csv: String, map: String, log: String, rejects: String? = nil,
        in directory: TemporaryDirectory
    )
        -> Subprocess.Result
    {
        var arguments = ["ingest", "--csv", csv, "--map", map, "--log", log]
        if let rejects { arguments += ["--rejects", rejects] }
        return Subprocess.ledger(arguments, environment: now, in: directory)
    }

    @Test(
        "an export read through a pipe (a FIFO, as <(…) gives one) or a symlink is read whole",
        arguments: ["fifo", "symlink"])
    func throughAPipe(kind: String) throws {
        let (directory, log) = Self.initialized()
        let csv = Self.maps + "/mosaic-referrals.csv"
        let map = Self.maps + "/mosaic-referrals.json"
        let named = directory.file("export.csv")
        let err = directory.file("err.txt")
        let script: String
        if kind == "fifo" {
            #expect(mkfifo(named, 0o600) == 0)
            script = "cat \"$1\" > \"$2\" & shift 2; exec \"$@\""
        } else {
            #expect(symlink(csv, named) == 0)
            script = "shift 2; exec \"$@\""
        }
        let pid = Subprocess.spawn(
            [
                "/bin/sh", "-c", script, "sh", csv, named, Subprocess.ledgerBinary, "ingest",
                "--csv", named, "--map", map, "--log", log,
            ], environment: Self.now, stderrPath: err)
        let status = Subprocess.wait(pid)
        let stderr = String(decoding: readBytes(err), as: UTF8.self)
        #expect(status == 0, "\(stderr)")
        #expect(
            stderr.hasPrefix("ingest: 3 appended, 0 duplicates skipped, 0 refused"), "\(stderr)")
    }

    @Test("both example maps ingest their sample exports; the second time nothing is appended")
    func examplesTwice() throws {
        let (directory, log) = Self.initialized()
        let referrals = (
            csv: Self.maps + "/mosaic-referrals.csv", map: Self.maps + "/mosaic-referrals.json"
        )
        let attendance = (
            csv: Self.maps + "/school-attendance.csv", map: Self.maps + "/school-attendance.json"
        )
        // The referrals sample has a byte-order mark, CRLF rows, quoted commas and doubled quotes, and a cell with
        // a line break; the attendance sample LF rows and a quoted school name with a comma.
        #expect(readBytes(referrals.csv).starts(with: [0xEF, 0xBB, 0xBF]))
        for (csv, map) in [referrals, attendance] {
            let first = Self.ingest(csv, map: map, log: log, in: directory)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(
                first.stderr.hasPrefix("ingest: 3 appended, 0 duplicates skipped, 0 refused"),
                "\(first.stderr)")
        }
        let before = readBytes(log)
        for (csv, map) in [referrals, attendance] {
            let again = Self.ingest(csv, map: map, log: log, in: directory)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(
                again.stderr.hasPrefix("ingest: 0 appended, 3 duplicates skipped, 0 refused"),
                "\(again.stderr)")
        }
        #expect(readBytes(log) == before)
        let records = try readLines(log).map { try LineFormat.decode(Array($0.utf8)) }
        let byID = Dictionary(
            records.map { ($0.content.id, $0) }, uniquingKeysWith: { first, _ in first })
        let first = try #require(byID["mosaic-700101"])
        #expect(first.content.stream == "family:M-2001" && first.content.occurredAt == "2026-11-03")
        #expect(first.content.actor == ["id": "mosaic", "role": "system"])
        let data = try #require(first.content.data.objectValue)
        #expect(data["source"] == "school")
        #expect(data["reason"] == "Attendance, and lateness")
        #expect(
            data["members"]
                == [
                    [
                        "id": "400101", "name": "Amira Begum", "dob": "2015-02-14", "role": "child",
                        "gender": "female",
                        "ethnicity": "ABAN",
                    ],
                    ["id": "400102", "name": "Rukhsana Begum", "role": "parent"],
                ])
        #expect(
            byID["mosaic-700102"]?.content.data.objectValue?["reason"]
                == #"Health visitor: "struggling with routines""#)
        #expect(
            byID["mosaic-700103"]?.content.data.objectValue?["reason"]
                == "Mum asked for help.\r\nTwo moves this year.")
        let attended = records.filter { $0.content.type == "attendance.recorded" }
        #expect(attended.count == 3)
        #expect(
            attended.allSatisfy {
                $0.content.id.hasPrefix("att-")
                    && $0.content.actor.objectValue?["id"] == "school-feed"
            })
        #expect(attended.first?.content.data.objectValue?["percent"] == .number("88.5"))
        #expect(attended.first?.content.data.objectValue?["from"] == "2026-09-01")
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(
            verify.status == 0 && verify.stdout.hasPrefix("verified 9 events"), "\(verify.stderr)")
    }

    @Test(
        "quoted commas and line breaks are read; a bad date, a missing column, a broken quote are refused by row"
    )
    func refusedRows() throws {
        let (directory, log) = Self.initialized()
        let referrals = Self.ingest(
            Self.maps + "/mosaic-referrals.csv", map: Self.maps + "/mosaic-referrals.json",
            log: log,
            in: directory)
        #expect(referrals.status == 0, "\(referrals.stderr)")
        let csv = directory.file("attendance.csv")
        // Row 2 fine; 3 a bad date; 4 a line break in a cell (lines 4 and 5); 5 missing columns; 6 refused by
        // validation (188%); 7 malformed quoting.
        let rows = [
            "School,UPN,Pupil ID,Family Ref,Period Start,Period End,Attendance %,Fixed Exclusions,Extract Date",
            #""Oakfield Primary, Nuneaton",U1,400101,M-2001,1/9/2026,31/10/2026,90,0,07-Nov-2026"#,
            #""Oakfield Primary, Nuneaton",U2,400201,M-2002,1/9/2026,2026-10-31,90,0,07-Nov-2026"#,
            "\"Line one\nline two\",U3,400301,M-2003,1/9/2026,31/10/2026,75,,07-Nov-2026",
            "Short School,U4,400101,M-2001,1/9/2026,31/10/2026",
            #"Oakfield,U5,400101,M-2001,1/9/2026,31/10/2026,188,0,07-Nov-2026"#,
            #""Bad"quote,U6,400101,M-2001,1/9/2026,31/10/2026,90,0,07-Nov-2026"#,
        ]
        writeBytes(Array((rows.joined(separator: "\n") + "\n").utf8), to: csv)
        let rejects = directory.file("rejects.jsonl")
        let result = Self.ingest(
            csv, map: Self.maps + "/school-attendance.json", log: log, rejects: rejects,
            in: directory)
        #expect(result.status == 1)
        #expect(
            result.stderr.hasPrefix(
                "ingest: 2 appended, 0 duplicates skipped, 4 refused (see \(rejects))"),
            "\(result.stderr)")
        let lines = readLines(rejects)
        try #require(lines.count == 4)
        let parsed = try lines.map {
            try #require(try JSONParser.parse(Array($0.utf8)).objectValue)
        }
        #expect(parsed.map { $0["row"] } == [.int(3), .int(5), .int(6), .int(7)])
        #expect(parsed.map { $0["line"] } == [.int(3), .int(6), .int(7), .int(8)])
        #expect(parsed[0]["column"] == "Period End")
        #expect(parsed[0]["reason"] == #"column "Period End" is not a date in the form d/M/yyyy"#)
        #expect(parsed[0]["input"] == .string(rows[2]))
        #expect(parsed[1]["column"] == "Attendance %")
        #expect(
            parsed[1]["reason"]
                == #"column "Attendance %" is missing: the row has 6 cells, the header 9"#)
        #expect(parsed[1]["input"] == .string(rows[4]))
        // Refused by the ledger's own validation, as a JSON line would be; the column is named from the map.
        #expect(parsed[2]["column"] == "Attendance %")
        #expect(parsed[2]["reason"]?.stringValue?.hasPrefix("data.percent:") == true, "\(lines[2])")
        #expect(parsed[2]["id"]?.stringValue?.hasPrefix("att-") == true)
        #expect(parsed[2]["event"]?.stringValue?.contains(#""percent":188"#) == true)
        #expect(
            parsed[3]["reason"]
                == "cell 1: a quoted cell must be followed by a comma or the row's end")
        #expect(parsed[3]["input"] == .string(rows[6]))
        let records = try readLines(log).map { try LineFormat.decode(Array($0.utf8)) }
        #expect(
            records.filter { $0.content.type == "attendance.recorded" }.map(\.content.stream) == [
                "family:M-2001", "family:M-2003",
            ])
        // Without --rejects, each refusal is on stderr with its row and column.
        let again = Self.ingest(
            csv, map: Self.maps + "/school-attendance.json", log: log, in: directory)
        #expect(
            again.stderr.contains(
                #"refused: \#(csv) row 3 (column "Period End"): column "Period End" is not a date"#),
            "\(again.stderr)")
        #expect(
            again.stderr.contains("ingest: 0 appended, 2 duplicates skipped, 4 refused"),
            "\(again.stderr)")
    }

    @Test(
        "a header without a column the map reads ingests nothing, naming the column; --rejects may not be the map"
    )
    func headerMissingColumn() throws {
        let (directory, log) = Self.initialized()
        let csv = directory.file("referrals.csv")
        writeBytes(Array("Referral ID,Family Ref\n1,F-1\n".utf8), to: csv)
        let before = readBytes(log)
        let result = Self.ingest(
            csv, map: Self.maps + "/mosaic-referrals.json", log: log, in: directory)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(#"the map reads columns "Referral Date", "Referral Source""#),
            "\(result.stderr)")
        #expect(result.stderr.contains("nothing ingested"))
        #expect(readBytes(log) == before)
        let map = directory.file("map.json")
        writeBytes(readBytes(Self.maps + "/mosaic-referrals.json"), to: map)
        let clash = Self.ingest(
            Self.maps + "/mosaic-referrals.csv", map: map, log: log, rejects: map, in: directory)
        #expect(
            clash.status == 2 && clash.stderr.contains("--rejects names the input"),
            "\(clash.stderr)")
        let noMap = Subprocess.ledger(["ingest", "--csv", csv, "--log", log], in: directory)
        #expect(noMap.status == 2 && noMap.stderr.contains("--csv needs --map MAP.json"))
    }
}
