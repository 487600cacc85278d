import EventLog
import LedgerCore
import Projections

/// A projection written to a folder as `name.json` and `name.csv`: the same bytes as its `--format json` and
/// `--format csv` outputs (`RowWriter`), each file put in place whole.
public enum ProjectionFiles {
    /// Writes `rows`.
    public static func write(_ directory: String, _ name: String, _ rows: [JSONObject]) throws {
        try write(directory, name, count: rows.count, columns: RowWriter.allColumns(rows)) {
            rows[$0]
        }
    }

    /// Writes `rows`, the CSV in `columns` (fixed by the projection, not by what the rows hold), each CSV line from
    /// `csvRow` of its row (a projection whose CSV fills in what its JSON leaves out, such as a count of 0).
    public static func write(
        _ directory: String, _ name: String, _ rows: [JSONObject], columns: [String],
        csvRow: @escaping @Sendable (JSONObject) -> JSONObject = { $0 }
    ) throws {
        try write(directory, name, count: rows.count, columns: columns) {
            position, json, index, csv in
            RowWriter.appendJSONRow(rows[position], index: index, into: &json)
            RowWriter.appendCSV(csvRow(rows[position]), columns: columns, into: &csv)
            return 1
        }
    }

    /// Writes the rows `row` makes for positions `0..<count` (nil: no row there), and returns what `keep` keeps
    /// of them (nil: nothing), in order. The CSV's columns are `columns`, else every key seen in the order first
    /// seen, which means making the rows twice: once for the columns, once to be written (holding them all would
    /// cost more memory than making them again). Both times on `threads` threads, `block` positions at a time
    /// (`RowBlocks`); the blocks are written in order, so the bytes are those of a serial run.
    @discardableResult
    public static func write(
        _ directory: String, _ name: String, count: Int, columns given: [String]? = nil,
        block: Int = RowBlocks.block,
        threads: Int = ParallelLineReader.processors,
        keep: @Sendable (JSONObject) -> JSONObject? = { _ in nil },
        row: @Sendable (Int) -> JSONObject?
    ) throws -> [JSONObject] {
        let columns =
            given ?? RowBlocks.columns(count: count, block: block, threads: threads, row: row)
        return try write(
            directory, name, count: count, columns: columns, block: block, threads: threads,
            keep: keep
        ) { position in
            row(position).map { [$0] } ?? []
        }
    }

    /// `write` where a position makes any number of rows (`rows`) and the columns are known.
    @discardableResult
    public static func write(
        _ directory: String, _ name: String, count: Int, columns: [String],
        block: Int = RowBlocks.block,
        threads: Int = ParallelLineReader.processors,
        keep: @Sendable (JSONObject) -> JSONObject? = { _ in nil },
        rows: @Sendable (Int) -> [JSONObject]
    ) throws -> [JSONObject] {
        let formats = (json: RowBlocks.Format.json, csv: RowBlocks.Format.csv(columns))
        return try write(
            directory, name, columns: columns, count: count, block: block, threads: threads
        ) { positions in
            let blockRows = positions.flatMap(rows)
            var part = Part(rows: blockRows.count)
            formats.json.append(blockRows, into: &part.json)
            formats.csv.append(blockRows, into: &part.csv)
            part.kept = blockRows.compactMap(keep)
            return part
        }
    }

    /// Writes a position's rows straight to both files' bytes, for rows too many to be made as JSON objects first:
    /// `(position, &json, index, &csv)`, where `index` is how many rows of its block the JSON holds already (the
    /// first takes no comma); returns how many rows it wrote. The same bytes as `RowBlocks.Format.json` and `.csv`
    /// of the rows.
    public typealias RowAppender =
        @Sendable (_ position: Int, _ json: inout [UInt8], _ index: Int, _ csv: inout [UInt8]) ->
        Int

    /// `write` where `append` writes each position's rows straight to bytes, in the CSV's `columns`.
    public static func write(
        _ directory: String, _ name: String, count: Int, columns: [String],
        block: Int = RowBlocks.block,
        threads: Int = ParallelLineReader.processors, append: RowAppender
    ) throws {
        _ = try write(
            directory, name, columns: columns, count: count, block: block, threads: threads
        ) { positions in
            var part = Part(rows: 0)
            for position in positions {
                part.rows += append(position, &part.json, part.rows, &part.csv)
            }
            return part
        }
    }

    /// `write` where `appendBlock` writes a whole block of positions' rows straight to both files' bytes (the
    /// JSON's first row as a document's first: `RowWriter.appendJSONRow` at index 0) and returns how many rows it
    /// wrote: for a caller that copies some positions' rows from elsewhere (a rebuild, from its last output).
    public static func write(
        _ directory: String, _ name: String, count: Int, columns: [String],
        block: Int = RowBlocks.block,
        threads: Int = ParallelLineReader.processors,
        appendBlock:
            @Sendable (_ positions: Range<Int>, _ json: inout [UInt8], _ csv: inout [UInt8])
            -> Int
    ) throws {
        _ = try write(
            directory, name, columns: columns, count: count, block: block, threads: threads
        ) { positions in
            var part = Part(rows: 0)
            part.rows = appendBlock(positions, &part.json, &part.csv)
            return part
        }
    }

    /// Bytes of the files as they were before, to be put at `at` in a block's bytes (before the byte there): rows
    /// that still hold, copied file to file rather than made again (a rebuild, from its last output).
    public struct Splice: Sendable, Equatable {
        public var at: Int
        public var range: Range<Int>

        public init(at: Int, range: Range<Int>) {
            self.at = at
            self.range = range
        }
    }

    /// A block's bytes for each file, with what is copied into them from the files before (`Splice`, in order).
    public struct BlockBytes: Sendable {
        public var json: [UInt8] = []
        public var csv: [UInt8] = []
        public var jsonSplices: [Splice] = []
        public var csvSplices: [Splice] = []

        public init() {}
    }

    /// `write` where `appendBlock` writes a whole block of positions' rows to `BlockBytes` (the JSON's first row as
    /// a document's first: `RowWriter.appendJSONRow` at index 0), with splices of `sources` (the files before:
    /// JSON, CSV) for what it copies, and returns how many rows it wrote. The splices are copied by the kernel as
    /// the files are written; when one fails (a file before that ends too soon), the error is thrown and nothing
    /// is put in place.
    public static func write(
        _ directory: String, _ name: String, count: Int, columns: [String],
        block: Int = RowBlocks.block,
        threads: Int = ParallelLineReader.processors,
        copyingFrom sources: (json: ScatteredLineReader, csv: ScatteredLineReader),
        appendBlock: @Sendable (_ positions: Range<Int>, _ bytes: inout BlockBytes) -> Int
    ) throws {
        _ = try write(
            directory, name, columns: columns, count: count, block: block, threads: threads,
            sources: sources
        ) { positions in
            var bytes = BlockBytes()
            let rows = appendBlock(positions, &bytes)
            var part = Part(rows: rows, json: bytes.json, csv: bytes.csv)
            part.jsonSplices = bytes.jsonSplices
            part.csvSplices = bytes.csvSplices
            return part
        }
    }

    /// A block's bytes for each file (with what is spliced into them), how many rows they hold, and what the
    /// caller keeps of them.
    struct Part: Sendable {
        var json: [UInt8] = []
        var csv: [UInt8] = []
        var jsonSplices: [Splice] = []
        var csvSplices: [Splice] = []
        var rows: Int
        var kept: [JSONObject] = []

        init(rows: Int, json: [UInt8] = [], csv: [UInt8] = []) {
            self.rows = rows
            self.json = json
            self.csv = csv
        }
    }

    /// Writes `bytes` with `splices` of `source` put in them.
    private static func write(
        _ bytes: [UInt8], splices: [Splice], from source: ScatteredLineReader?,
        to output: AtomicOutput
    ) throws {
        guard let source, !splices.isEmpty else { return try output.write(bytes) }
        var from = 0
        for splice in splices {
            if splice.at > from {
                try output.write { $0.append(contentsOf: bytes[from..<splice.at]) }
            }
            try output.copy(from: source, splice.range)
            from = splice.at
        }
        if from < bytes.count { try output.write { $0.append(contentsOf: bytes[from...]) } }
    }

    /// Writes `name.json` and `name.csv` from the parts `render` makes of each block of positions, in order, each
    /// file put in place whole; returns what the parts kept.
    private static func write(
        _ directory: String, _ name: String, columns: [String], count: Int, block: Int,
        threads: Int, sources: (json: ScatteredLineReader, csv: ScatteredLineReader)? = nil,
        render: @Sendable (Range<Int>) -> Part
    ) throws -> [JSONObject] {
        let json = try AtomicOutput(path: "\(directory)/\(name).json")
        let csv = try AtomicOutput(path: "\(directory)/\(name).csv")
        let formats = (json: RowBlocks.Format.json, csv: RowBlocks.Format.csv(columns))
        try json.write { $0.append(contentsOf: formats.json.start) }
        try csv.write { $0.append(contentsOf: formats.csv.start) }
        var written = false
        var kept: [JSONObject] = []
        try RowBlocks.forEachBlock(count: count, block: block, threads: threads, render: render) {
            part in
            guard part.rows > 0 else { return }
            if written {
                try json.write { $0.append(contentsOf: formats.json.separator) }
                try csv.write { $0.append(contentsOf: formats.csv.separator) }
            }
            try write(part.json, splices: part.jsonSplices, from: sources?.json, to: json)
            try write(part.csv, splices: part.csvSplices, from: sources?.csv, to: csv)
            written = true
            kept += part.kept
        }
        try json.write { $0.append(contentsOf: formats.json.end) }
        try csv.write { $0.append(contentsOf: formats.csv.end) }
        try json.commit()
        try csv.commit()
        return kept
    }
}
