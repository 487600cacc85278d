import EventLog
import LedgerCore
import Projections

/// A projection written to a rebuild's folder as `name.csv`: the same bytes as its `--format csv` output
/// (`RowWriter.csv`), put in place whole. The folder holds each projection once, in the form its readers open
/// it with (a spreadsheet); its JSON is the command's (`ledger due --format json`), made from the same checkpoint.
public enum ProjectionFiles {
    /// The file name of projection `name` in a folder.
    public static func fileName(_ name: String) -> String { "\(name).csv" }

    /// Writes `rows`.
    public static func write(_ directory: String, _ name: String, _ rows: [JSONObject]) throws {
        try write(directory, name, count: rows.count, columns: RowWriter.allColumns(rows)) {
            rows[$0]
        }
    }

    /// Writes the rows `row` makes for positions `0..<count` (nil: no row there). The CSV's columns are
    /// `columns`, else every key seen in the order first seen, which means making the rows twice: once for the
    /// columns, once to be written (holding them all would cost more memory than making them again). Both times
    /// on `threads` threads, `block` positions at a time (`RowBlocks`); the blocks are written in order, so the
    /// bytes are those of a serial run.
    public static func write(
        _ directory: String, _ name: String, count: Int, columns given: [String]? = nil,
        block: Int = RowBlocks.block,
        threads: Int = ParallelLineReader.processors,
        row: @Sendable (Int) -> JSONObject?
    ) throws {
        let columns =
            given ?? RowBlocks.columns(count: count, block: block, threads: threads, row: row)
        try write(
            directory, name, count: count, columns: columns, block: block, threads: threads
        ) { position in
            row(position).map { [$0] } ?? []
        }
    }

    /// `write` where a position makes any number of rows (`rows`) and the columns are known.
    public static func write(
        _ directory: String, _ name: String, count: Int, columns: [String],
        block: Int = RowBlocks.block,
        threads: Int = ParallelLineReader.processors,
        rows: @Sendable (Int) -> [JSONObject]
    ) throws {
        let format = RowBlocks.Format.csv(columns)
        try write(
            directory, name, columns: columns, count: count, block: block, threads: threads
        ) { positions, csv in
            for position in positions { format.append(rows(position), into: &csv) }
        }
    }

    /// Writes `name.csv` from the bytes `appendBlock` writes for each block of positions (its rows' lines, in the
    /// CSV's `columns`), in order, on `threads` threads; the file is put in place whole. For a caller that writes
    /// rows straight to bytes, or copies some positions' rows from elsewhere (a rebuild, from its last output).
    public static func write(
        _ directory: String, _ name: String, columns: [String], count: Int,
        block: Int = RowBlocks.block,
        threads: Int = ParallelLineReader.processors,
        appendBlock: @Sendable (_ positions: Range<Int>, _ csv: inout [UInt8]) -> Void
    ) throws {
        let csv = try AtomicOutput(path: "\(directory)/\(fileName(name))")
        try csv.write { $0.append(contentsOf: RowBlocks.Format.csv(columns).start) }
        try RowBlocks.forEachBlock(count: count, block: block, threads: threads) { positions in
            var bytes: [UInt8] = []
            appendBlock(positions, &bytes)
            return bytes
        } emit: { bytes in
            try csv.write(bytes)
        }
        try csv.commit()
    }
}
