import EventLog
import LedgerQueries
import LedgerTestSupport
import Projections
import Testing

/// The projection files written a block at a time on several threads against the plain renderers: the same bytes
/// as `RowWriter.json` and `RowWriter.csv` of the rows, whatever the block size, the number of threads, and
/// wherever positions make no row (at the start, inside a block, a whole block of them).
@Suite("Projection files agree with the row renderers")
struct ProjectionFilesTests {
    /// The row at a position, or none: positions 0–2, every seventh, and 40–79 make none. Some rows carry
    /// columns the others lack, first seen at positions 11 and 93 (so the header depends on the blocks' order).
    static func row(_ position: Int) -> JSONObject? {
        if position < 3 || position % 7 == 0 || (40..<80).contains(position) { return nil }
        var row = JSONObject()
        row["n"] = .int(position)
        row["text"] = .string(position % 5 == 0 ? "=SUM(\"a, b\")" : "row \(position)")
        if position % 3 == 0 && position > 90 { row["extra"] = .bool(position % 2 == 0) }
        if position % 11 == 0 { row["nested"] = .array([.int(position), .null]) }
        return row
    }

    @Test(
        "same bytes as the renderers",
        arguments: [(1, 1), (4, 2), (40, 2), (512, 2), (7, 3), (1000, 1)])
    func sameBytes(block: Int, threads: Int) throws {
        let directory = TemporaryDirectory()
        let count = 333
        let rows = (0..<count).compactMap(Self.row)
        let kept = try ProjectionFiles.write(
            directory.path, "rows", count: count, block: block, threads: threads,
            keep: { $0["nested"] != nil ? JSONObject([JSONMember("n", $0["n"] ?? .null)]) : nil }
        ) { Self.row($0) }
        #expect(readBytes(directory.file("rows.json")) == RowWriter.json(rows))
        #expect(readBytes(directory.file("rows.csv")) == RowWriter.csv(rows))
        #expect(RowWriter.allColumns(rows) == ["n", "text", "nested", "extra"])
        #expect(
            kept
                == rows.filter { $0["nested"] != nil }.map {
                    JSONObject([JSONMember("n", $0["n"] ?? .null)])
                })
        #expect(kept.count == 23)
        #expect(fileMode(directory.file("rows.json")) == 0o600)
        #expect(fileMode(directory.file("rows.csv")) == 0o600)
        #expect(fileNames(in: directory.path).sorted() == ["rows.csv", "rows.json"])
    }

    @Test(
        "columns given are the CSV's; no rows at all is an empty array and a header",
        arguments: [1, 2])
    func givenColumnsAndNoRows(threads: Int) throws {
        let directory = TemporaryDirectory()
        let rows = (0..<100).compactMap(Self.row)
        try ProjectionFiles.write(
            directory.path, "given", count: 100, columns: ["text", "n"], block: 8, threads: threads
        ) {
            Self.row($0)
        }
        #expect(
            readBytes(directory.file("given.csv")) == RowWriter.csv(rows, columns: ["text", "n"]))
        try ProjectionFiles.write(directory.path, "none", count: 50, block: 8, threads: threads) {
            _ in nil
        }
        #expect(readBytes(directory.file("none.json")) == RowWriter.json([]))
        #expect(readBytes(directory.file("none.csv")) == RowWriter.csv([]))
    }

    @Test(
        "a document written a block at a time to a sink is the renderers' bytes",
        arguments: [(1, 1), (4, 2), (40, 2), (512, 2), (7, 3)])
    func streamed(block: Int, threads: Int) throws {
        let count = 333
        let rows = (0..<count).compactMap(Self.row)
        let columns = RowBlocks.columns(count: count, block: block, threads: threads) {
            Self.row($0)
        }
        #expect(columns == RowWriter.allColumns(rows))
        let formats: [(RowBlocks.Format, [UInt8])] = [
            (.json, RowWriter.json(rows)), (.jsonl, RowWriter.jsonl(rows)),
            (.csv(columns), RowWriter.csv(rows)),
        ]
        for (format, expected) in formats {
            var out: [UInt8] = []
            try RowBlocks.write(
                format, count: count, block: block, threads: threads, row: { Self.row($0) }
            ) { out += $0 }
            #expect(out == expected, "\(format)")
            var none: [UInt8] = []
            try RowBlocks.write(
                format, count: 50, block: block, threads: threads, row: { _ in nil }
            ) { none += $0 }
            #expect(
                none
                    == (format.isCSV
                        ? RowWriter.csv([], columns: columns)
                        : format.isJSON ? RowWriter.json([]) : []),
                "\(format)")
        }
    }
}

@Suite("Projection files of positions that make several rows agree with the row renderers")
struct ProjectionFilesManyRowsTests {
    /// Position p makes p % 4 rows (none for every fourth), as a family makes its obligations.
    static func rows(_ position: Int) -> [JSONObject] {
        (0..<(position % 4)).compactMap { ProjectionFilesTests.row(position * 4 + $0) }
    }

    @Test(
        "same bytes as the renderers of all the rows, in files and to a sink",
        arguments: [(1, 1), (3, 2), (64, 2), (512, 2), (5, 3)])
    func sameBytes(block: Int, threads: Int) throws {
        let directory = TemporaryDirectory()
        let count = 150
        let all = (0..<count).flatMap(Self.rows)
        #expect(all.count > 150)
        let columns = RowWriter.allColumns(all)
        try ProjectionFiles.write(
            directory.path, "many", count: count, columns: columns, block: block, threads: threads
        ) { Self.rows($0) }
        #expect(readBytes(directory.file("many.json")) == RowWriter.json(all))
        #expect(readBytes(directory.file("many.csv")) == RowWriter.csv(all))
        let formats: [(RowBlocks.Format, [UInt8])] = [
            (.json, RowWriter.json(all)), (.jsonl, RowWriter.jsonl(all)),
            (.csv(columns), RowWriter.csv(all)),
        ]
        for (format, expected) in formats {
            var out: [UInt8] = []
            try RowBlocks.write(
                format, count: count, block: block, threads: threads, rows: { Self.rows($0) }
            ) { out += $0 }
            #expect(out == expected, "\(format)")
        }
    }

    @Test(
        "rows written straight to bytes, a position at a time: the same files",
        arguments: [(1, 1), (3, 2), (64, 2), (512, 2), (5, 3)])
    func appended(block: Int, threads: Int) throws {
        let directory = TemporaryDirectory()
        let count = 150
        let all = (0..<count).flatMap(Self.rows)
        let columns = RowWriter.allColumns(all)
        // Each row written by hand from its members, as a projection's own writer would: not through the formats.
        try ProjectionFiles.write(
            directory.path, "appended", count: count, columns: columns, block: block,
            threads: threads,
            append: { position, json, index, csv in
                let rows = Self.rows(position)
                for (offset, row) in rows.enumerated() {
                    json +=
                        Array((index + offset == 0 ? "\n" : ",\n").utf8)
                        + JSONWriter.bytes(.object(row))
                    csv += Array(
                        (columns.map { RowWriter.escapeCSV(RowWriter.cellText(row[$0])) }.joined(
                            separator: ",") + "\r\n").utf8)
                }
                return rows.count
            })
        #expect(readBytes(directory.file("appended.json")) == RowWriter.json(all))
        #expect(readBytes(directory.file("appended.csv")) == RowWriter.csv(all))
        try ProjectionFiles.write(
            directory.path, "nothing", count: 40, columns: columns, block: block, threads: threads,
            append: { _, _, _, _ in 0 })
        #expect(readBytes(directory.file("nothing.json")) == RowWriter.json([]))
        #expect(readBytes(directory.file("nothing.csv")) == RowWriter.csv([], columns: columns))
    }
}

extension RowBlocks.Format {
    var isCSV: Bool { if case .csv = self { true } else { false } }
    var isJSON: Bool { if case .json = self { true } else { false } }
}
