import EventLog
import Projections
import LedgerQueries
import Testing

/// The renderers' rules for people (issue 20): a table fits the width it is given, cutting the widest columns first
/// and never a short one; a CSV has one value per cell, its objects flattened into named columns.
@Suite("Row renderers: tables fitted to a width, CSV flattened")
struct RowWriterTests {
    /// The object `value` is.
    static func object(_ value: JSONValue) -> JSONObject { value.objectValue ?? JSONObject() }

    static let rows: [JSONObject] = [
        object([
            "id": "a", "date": "2026-02-04",
            "note": "a long note that will not fit in a narrow terminal",
        ]),
        object(["id": "b", "date": "2026-02-05", "note": "short"]),
    ]

    @Test("a table cuts its widest column to fit, never a date; nil width cuts nothing")
    func tableWidth() {
        let text = String(decoding: RowWriter.table(Self.rows, width: 40), as: UTF8.self)
        #expect(
            text == """
                id  date        note
                --  ----------  ------------------------
                a   2026-02-04  a long note that will n…
                b   2026-02-05  short

                """)
        let wide = String(decoding: RowWriter.table(Self.rows, width: nil), as: UTF8.self)
        #expect(wide.contains("a long note that will not fit in a narrow terminal\n"))
        // Too narrow for the short columns: they are kept whole and the line is left longer.
        let narrow = String(decoding: RowWriter.table(Self.rows, width: 10), as: UTF8.self)
        #expect(narrow.contains("a   2026-02-04  a long no…\n"))
    }

    @Test("a table never shows JSON: lists joined by \"; \", objects as name: value")
    func tableCells() {
        let row = Self.object([
            "list": ["a", "b"], "object": ["min": 1, "max": 2],
            "objects": [["k": "v"], ["k": "w"]],
        ])
        let text = String(decoding: RowWriter.table([row], width: nil), as: UTF8.self)
        #expect(text.contains("a; b  min: 1, max: 2  k: v; k: w\n"), "\(text)")
    }

    /// An adversary's family: "Ann; Bob" split on "; " pinned Cat's name to c2 and Dan's to c3's date of birth.
    @Test(
        "a list item holding ; or \" is quoted, so the n-th item of every member's column lines up")
    func listItemsQuoted() {
        let rows: [JSONObject] = [
            [
                "people": [
                    ["id": "c1", "name": "Ann; Bob", "dob": "2015-01-01"],
                    ["id": "c2", "name": "Cat"],
                    ["id": "c3", "name": "Dan \"D\"", "dob": "2019-02-02"],
                ]
            ]
        ].map(Self.object)
        #expect(
            String(decoding: RowWriter.csv(rows), as: UTF8.self)
                == "people.id,people.name,people.dob\r\n"
                + "c1; c2; c3,\"\"\"Ann; Bob\"\"; Cat; \"\"Dan \"\"\"\"D\"\"\"\"\"\"\",2015-01-01; ; 2019-02-02\r\n"
        )
        #expect(RowWriter.cellText(["a;b", "c", "", "d\"e"]) == #""a;b"; c; ; "d""e""#)
    }

    @Test("CSV columns: objects flattened, lists of objects a column per member, kept together")
    func csvColumns() {
        let rows: [JSONObject] = [
            ["n": 1, "limit": .null, "people": [], "tally": ["x": 1], "end": true],
            [
                "n": 2, "limit": ["min": 1, "max": 2],
                "people": [["id": "p", "dob": "2015-01-01"], ["id": "q"]],
                "tally": ["y": 2], "end": false,
            ],
        ].map(Self.object)
        #expect(
            RowWriter.allColumns(rows)
                == [
                    "n", "limit.min", "limit.max", "people.id", "people.dob", "tally.x", "tally.y",
                    "end",
                ])
        #expect(
            String(decoding: RowWriter.csv(rows), as: UTF8.self)
                == "n,limit.min,limit.max,people.id,people.dob,tally.x,tally.y,end\r\n"
                + "1,,,,,1,,true\r\n" + "2,1,2,p; q,2015-01-01; ,,2,false\r\n")
        // Only ever null: a column of its own, empty.
        #expect(RowWriter.allColumns([Self.object(["a": .null, "b": []])]) == ["a", "b"])
        // A block of rows at a time: the same columns.
        let many = (0..<40).map { index -> JSONObject in
            Self.object(
                index % 9 == 4
                    ? [
                        "n": .int(index),
                        "o": .object(JSONObject([JSONMember("k\(index / 9 % 3)", 1)])),
                    ]
                    : ["n": .int(index), "o": .null])
        }
        for block in [1, 3, 64] {
            #expect(
                RowBlocks.columns(count: many.count, block: block, threads: 2) { many[$0] }
                    == RowWriter.allColumns(many))
        }
        #expect(RowWriter.allColumns(many) == ["n", "o.k0", "o.k1", "o.k2"])
    }
}
