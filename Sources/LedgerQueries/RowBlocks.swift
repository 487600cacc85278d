import EventLog
import LedgerCore
import Projections

/// Rows made a block of positions at a time on every core and handed over in order: how long projections are
/// written (to files or to standard output) without holding all their rows, or all their bytes, at once.
public enum RowBlocks {
    /// Positions per block.
    public static let block = 512

    /// Hands the positions `0..<count` to `render` `block` at a time, on `threads` threads and a few blocks per
    /// thread at once: `render` makes each block's part (its rows' bytes, say, for any number of rows per position:
    /// a family's obligations), on the thread that runs it; `emit` gets the parts in order, on the calling thread.
    public static func forEachBlock<Part: Sendable>(
        count: Int, block: Int = block, threads: Int = ParallelLineReader.processors,
        render: @Sendable (_ positions: Range<Int>) -> Part, emit: (Part) throws -> Void
    ) throws {
        let block = max(1, block)
        let blocks = (count + block - 1) / block
        let window = max(1, threads) * 4
        for first in stride(from: 0, to: blocks, by: window) {
            let parts = ParallelMap.map(min(window, blocks - first), threads: threads) { offset in
                render(ParallelMap.range(first + offset, size: block, count: count))
            }
            for part in parts { try emit(part) }
        }
    }

    /// The CSV columns of the rows `row` makes for positions `0..<count` (`RowWriter.allColumns`): the rows are
    /// made, on every core, and let go of.
    public static func columns(
        count: Int, block: Int = block, threads: Int = ParallelLineReader.processors,
        row: @Sendable (Int) -> JSONObject?
    ) -> [String] {
        var columns = CSVColumns()
        for part in ParallelMap.map(
            ranges: count, size: block, threads: threads,
            { positions in
                var part = CSVColumns()
                for position in positions {
                    if let made = row(position) { part.add(made) }
                }
                return part
            })
        {
            columns.add(part)
        }
        return columns.names
    }

    /// A document format that can be written a block at a time: its start, each block's rows, what goes between
    /// two blocks, its end. Together, the bytes of `RowWriter.json`, `jsonl` or `csv` of all the rows.
    public enum Format: Sendable {
        case json, jsonl
        /// CSV with these columns.
        case csv([String])

        /// `[`, the CSV header, or nothing.
        public var start: [UInt8] {
            switch self {
            case .json: return [UInt8(ascii: "[")]
            case .jsonl: return []
            case .csv(let columns):
                var header: [UInt8] = []
                RowWriter.appendCSVHeader(columns, into: &header)
                return header
            }
        }

        /// One block's rows. A block's first row is written as a document's first: `separator` goes before it
        /// when it is not. `index` is how many rows of the block `out` holds already.
        public func append(_ rows: [JSONObject], index first: Int = 0, into out: inout [UInt8]) {
            for (offset, row) in rows.enumerated() {
                switch self {
                case .json: RowWriter.appendJSONRow(row, index: first + offset, into: &out)
                case .jsonl:
                    JSONWriter.writeForDisplay(.object(row), into: &out)
                    out.append(0x0A)
                case .csv(let columns): RowWriter.appendCSV(row, columns: columns, into: &out)
                }
            }
        }

        /// What goes between two blocks that have rows.
        public var separator: [UInt8] {
            if case .json = self { return [UInt8(ascii: ",")] }
            return []
        }

        /// What ends the document.
        public var end: [UInt8] {
            if case .json = self { return RowWriter.jsonEnd }
            return []
        }
    }

    /// Writes the rows `row` makes for positions `0..<count` as one document of `format` to `sink`, a block at a
    /// time: the same bytes as `RowWriter.json`, `jsonl` or `csv` (with the same columns) of all the rows at once.
    public static func write(
        _ format: Format, count: Int, block: Int = block,
        threads: Int = ParallelLineReader.processors,
        row: @Sendable (Int) -> JSONObject?, to sink: ([UInt8]) throws -> Void
    ) throws {
        try write(
            format, count: count, block: block, threads: threads,
            rows: { row($0).map { [$0] } ?? [] }, to: sink)
    }

    /// `write` where a position makes any number of rows (`rows`).
    public static func write(
        _ format: Format, count: Int, block: Int = block,
        threads: Int = ParallelLineReader.processors,
        rows: @Sendable (Int) -> [JSONObject], to sink: ([UInt8]) throws -> Void
    ) throws {
        try write(
            format, count: count, block: block, threads: threads,
            append: { position, out, index in
                let made = rows(position)
                format.append(made, index: index, into: &out)
                return made.count
            }, to: sink)
    }

    /// `write` where `append` writes each position's rows straight to bytes in `format`, for rows too many to be
    /// made as JSON objects first: `(position, &out, index)`, where `index` is how many rows of its block `out`
    /// holds already (a JSON document's first row takes no comma); it returns how many rows it wrote.
    public static func write(
        _ format: Format, count: Int, block: Int = block,
        threads: Int = ParallelLineReader.processors,
        append: @Sendable (_ position: Int, _ out: inout [UInt8], _ index: Int) -> Int,
        to sink: ([UInt8]) throws -> Void
    ) throws {
        try sink(format.start)
        var written = false
        try forEachBlock(count: count, block: block, threads: threads) { positions in
            var bytes: [UInt8] = []
            var rows = 0
            for position in positions { rows += append(position, &bytes, rows) }
            return (bytes: bytes, rows: rows)
        } emit: { part in
            guard part.rows > 0 else { return }
            if written { try sink(format.separator) }
            try sink(part.bytes)
            written = true
        }
        try sink(format.end)
    }
}
