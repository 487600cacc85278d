import EventLog
import LedgerCore
import Testing

/// The RFC 4180 reader and the map that turns a row into an event line (`ledger ingest --csv`).
@Suite("CSV: RFC 4180 rows, date patterns, maps")
struct CSVTableTests {
    static func table(_ text: String) throws -> CSVTable { try CSVTable(bytes: Array(text.utf8)) }

    @Test(
        "quoted commas, doubled quotes and line breaks in a cell; CRLF and LF; the last line end optional"
    )
    func quoting() throws {
        let table = try Self.table(
            "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",z\n3,,\"\"")
        #expect(table.header == ["a", "b", "c"])
        #expect(
            table.rows.map(\.cells) == [
                ["1", "x, y", "say \"hi\""], ["2", "two\nlines", "z"], ["3", "", ""],
            ])
        #expect(table.rows.map(\.number) == [2, 3, 4])
        // The row after a cell with a line break starts a line later than its row number says.
        #expect(table.rows.map(\.line) == [2, 3, 5])
        #expect(table.text(of: table.rows[1]) == "2,\"two\nlines\",z")
        #expect(table.rows.allSatisfy { $0.problem == nil })
    }

    @Test(
        "a byte-order mark is not part of the first column's name; blank rows are skipped but counted"
    )
    func bomAndBlankRows() throws {
        let table = try CSVTable(bytes: [0xEF, 0xBB, 0xBF] + Array("Name , Age\n\nAnn,3\r\n".utf8))
        #expect(table.header == ["Name", "Age"])
        #expect(table.rows.count == 1)
        #expect(table.rows[0].number == 3 && table.rows[0].cells == ["Ann", "3"])
    }

    @Test(
        "an unquoted cell loses the spaces and tabs around it; a quoted cell keeps them (RFC 4180)")
    func spacesAroundCells() throws {
        let table = try Self.table("a,b,c,d\n x ,\"  y \",\t z\t,\" \"\n")
        #expect(table.rows[0].cells == ["x", "  y ", "z", " "])
    }

    @Test("a hashed id tells apart rows whose cells differ only in where a unit separator falls")
    func hashedIdsDoNotCollide() throws {
        let map = try CSVMap(
            json: [
                "id": ["hash": ["A", "B"]], "type": "note.recorded", "stream": "family:F-1",
                "occurredAt": "2026-11-03", "actor": ["id": "mosaic", "role": "system"],
                "data": ["subject": "{A}", "body": "{B}"],
            ])
        func id(_ cells: [String]) throws -> String {
            let line = try map.event(cells: cells, header: ["A", "B"])
            return String(decoding: line, as: UTF8.self).split(separator: "\"")[3].description
        }
        let rows = [
            ["a\u{1F}b", "c"], ["a", "b\u{1F}c"], ["a\u{1E}", "\u{1F}c"], ["a\u{1E}\u{1F}", "c"],
        ]
        let ids = try rows.map(id)
        #expect(Set(ids).count == rows.count, "\(ids)")
        // A row without either separator keeps the id it had (the cells joined by U+001F).
        #expect(try id(["a", "b"]) == String(SHA256.hash(Array("a\u{1F}b".utf8)).hex.prefix(32)))
    }

    @Test("a quote inside an unquoted cell is a character; a trailing comma is an empty last cell")
    func lenientQuoteAndTrailingComma() throws {
        let table = try Self.table("a,b\n5\" tall,\n")
        #expect(table.rows[0].cells == ["5\" tall", ""])
    }

    @Test("malformed rows carry their problem and the rows after them are still read")
    func malformedRows() throws {
        let table = try Self.table("a,b\n\"x\"y,1\n2,3\n\"open,4\n5,6\n")
        #expect(table.rows.count == 3)
        #expect(
            table.rows[0].problem
                == "cell 1: a quoted cell must be followed by a comma or the row's end")
        #expect(table.text(of: table.rows[0]) == "\"x\"y,1")
        #expect(table.rows[1].cells == ["2", "3"] && table.rows[1].problem == nil)
        // An unclosed quote runs to the end of the file: one refused row, not several.
        #expect(table.rows[2].problem == "cell 1 opens a quote that is never closed")
        #expect(table.rows[2].number == 4)
        let invalid = try CSVTable(bytes: Array("a\n".utf8) + [0xFF, 0x0A])
        #expect(invalid.rows[0].problem == "cell 1 is not UTF-8")
    }

    @Test("an empty file or a blank header is refused")
    func noHeader() {
        #expect(throws: CSVError(message: "the file is empty: a header row is needed")) {
            try Self.table("")
        }
        #expect(throws: CSVError(message: "the header row is blank")) { try Self.table(",\n1,2\n") }
    }

    @Test(
        "date patterns read into YYYY-MM-DD",
        arguments: [
            ("dd/MM/yyyy", "03/11/2026", "2026-11-03"), ("d/M/yyyy", "3/1/2026", "2026-01-03"),
            ("d/M/yyyy", "13/12/2026", "2026-12-13"), ("dd-MMM-yyyy", "07-nov-2026", "2026-11-07"),
            ("yyyy-MM-dd", "2024-02-29", "2024-02-29"),
            ("dd/MM/yyyy HH:mm:ss", "01/04/2015 00:00:00", "2015-04-01"),
        ])
    func datePatterns(pattern: String, text: String, expected: String) throws {
        let parsed = try #require(DatePattern(pattern))
        #expect(parsed.date(text)?.description == expected)
    }

    @Test(
        "dates that are not in the pattern, or not real, are refused",
        arguments: [
            ("dd/MM/yyyy", "2026-11-03"), ("dd/MM/yyyy", "31/02/2026"), ("dd/MM/yyyy", "3/11/2026"),
            ("dd/MM/yyyy", "03/11/2026x"), ("yyyy-MM-dd", "2023-02-29"),
            ("dd-MMM-yyyy", "07-Nob-2026"),
        ])
    func badDates(pattern: String, text: String) throws {
        #expect(try #require(DatePattern(pattern)).date(text) == nil)
    }

    @Test("a pattern with unknown letters or without a year, month and day is not a pattern")
    func badPatterns() {
        #expect(DatePattern("dd/MM/yy") == nil)
        #expect(DatePattern("MM/yyyy") == nil)
        #expect(DatePattern("dd/QQ/yyyy") == nil)
    }

    static let map: JSONValue = [
        "id": ["hash": ["Ref", "Date"], "prefix": "x-"],
        "type": "referral.received",
        "stream": "family:{Family}",
        "occurredAt": ["column": "Date", "date": "dd/MM/yyyy"],
        "actor": ["id": "mosaic", "role": "system"],
        "data.source": "school",
        "data": [
            "reason": "{Reason} ({{ref {Ref}}})",
            "members[0]": [
                "id": ["column": "Child"], "name": ["column": "Name"], "role": "child",
                "dob": ["column": "DOB", "date": "dd/MM/yyyy", "optional": true],
                "gender": [
                    "column": "Sex", "values": ["M": "male", "F": "female"], "optional": true,
                ],
            ],
            "members[1].id": ["column": "Parent", "optional": true],
            "members[1].age": ["column": "Age", "as": "integer", "optional": true],
        ],
    ]
    static let header = [
        "Ref", "Family", "Date", "Reason", "Child", "Name", "DOB", "Sex", "Parent", "Age",
    ]

    @Test(
        "a map builds the event line: templates, constants, nested paths, dates, values, a stable hashed id"
    )
    func mapBuildsEvent() throws {
        let map = try CSVMap(json: Self.map)
        #expect(Set(map.columns) == Set(Self.header))
        let cells = ["R1", "F-1", "03/11/2026", "Attendance", "c1", "Ann", "", "F", "", ""]
        let line = String(decoding: try map.event(cells: cells, header: Self.header), as: UTF8.self)
        let id = "x-" + String(SHA256.hash(Array("R1\u{1F}03/11/2026".utf8)).hex.prefix(32))
        #expect(
            line
                == #"{"id":"\#(id)","type":"referral.received","stream":"family:F-1","occurredAt":"2026-11-03","#
                + #""actor":{"id":"mosaic","role":"system"},"data":{"source":"school","reason":"Attendance ({ref R1})","#
                + #""members":[{"id":"c1","name":"Ann","role":"child","gender":"female"}]}}"#)
        // The same cells make the same line: ingesting an export twice adds nothing.
        #expect(
            try map.event(cells: cells, header: Self.header)
                == map.event(cells: cells, header: Self.header))
        #expect(map.column(filling: "data.members[0].dob") == "DOB")
        #expect(map.column(filling: "stream") == "Family")
    }

    @Test(
        "a row is refused naming its column: a bad date, a missing cell, an empty required cell, an unlisted value"
    )
    func rowRefusals() throws {
        let map = try CSVMap(json: Self.map)
        let good = ["R1", "F-1", "03/11/2026", "Attendance", "c1", "Ann", "", "F", "", ""]
        func refusal(_ cells: [String]) -> CSVMap.RowRefusal? {
            do {
                _ = try map.event(cells: cells, header: Self.header)
                return nil
            } catch { return error }
        }
        var badDate = good
        badDate[2] = "2026-11-03"
        #expect(
            refusal(badDate)
                == .init(
                    column: "Date", reason: #"column "Date" is not a date in the form dd/MM/yyyy"#))
        #expect(
            refusal(Array(good.prefix(7)))
                == .init(
                    column: "Sex",
                    reason: #"column "Sex" is missing: the row has 7 cells, the header 10"#))
        var empty = good
        empty[5] = " "
        #expect(
            refusal(empty)
                == .init(
                    column: "Name",
                    reason: #"column "Name" is empty (it fills data.members[0].name)"#))
        var unlisted = good
        unlisted[7] = "X"
        #expect(
            refusal(unlisted)
                == .init(
                    column: "Sex",
                    reason: #"column "Sex" holds a value the map does not list (F, M)"#))
        var notInteger = good
        notInteger[9] = "4.5"
        #expect(
            refusal(notInteger)
                == .init(column: "Age", reason: #"column "Age" is not a whole number"#))
        #expect(
            refusal(good + ["extra"])?.reason
                == "the row has 11 cells, the header 10: a comma too many?")
    }

    @Test(
        "maps that cannot work are refused, naming the path",
        arguments: [
            (
                #"{"type":"t","stream":"s","occurredAt":"d","actor":{"id":"a","role":"system"}}"#,
                "map: id is missing"
            ),
            (
                #"{"id":"i","type":"t","stream":"s","occurredAt":"d","actor":{"id":"a","role":"system"},"colour":"x"}"#,
                "map: colour: an event has no member colour"
            ),
            (
                #"{"id":"i","type":"t","stream":"s","occurredAt":"d","actor":{"id":"a","role":"system"},"data.x":"1","data":{"x":"2"}}"#,
                "map: data.x is given twice"
            ),
            (
                #"{"id":"i","type":"t","stream":"s","occurredAt":"d","actor":{"id":"a","role":"system"},"data.x":"1","data.x.y":"2"}"#,
                "map: data.x.y is below data.x"
            ),
            (
                #"{"id":"{Ref","type":"t","stream":"s","occurredAt":"d","actor":{"id":"a","role":"system"}}"#,
                "map: id: \"{\" opens a column name"
            ),
            (
                #"{"id":"i","type":"t","stream":"s","occurredAt":{"column":"D","date":"dd/MM/yy"},"actor":{"id":"a","role":"system"}}"#,
                "map: occurredAt: \"date\" is a pattern"
            ),
            (
                #"{"id":"i","type":"t","stream":"s","occurredAt":{"column":"D","as":"number","date":"yyyy-MM-dd"},"actor":{"id":"a","role":"system"}}"#,
                "map: occurredAt: give one of"
            ),
        ])
    func badMaps(text: String, message: String) throws {
        do {
            _ = try CSVMap(json: try JSONParser.parse(text))
            Issue.record("accepted: \(text)")
        } catch let error as CSVError {
            #expect(error.message.hasPrefix(message), "\(error.message)")
        }
    }
}
