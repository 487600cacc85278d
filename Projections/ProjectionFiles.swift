import EventLog

/// A projection written to a folder as `name.json` and `name.csv`: the same bytes as its `--format json` and
/// `--format csv` outputs (`RowWriter`), each file put in place whole.
public enum ProjectionFiles {
    /// Writes `rows`.
    public static func write(_ directory: String, _ name: String, _ rows: [JSONObject]) throws {
        try write(directory, name, count: rows.count, columns: RowWriter.allColumns(rows)) { rows[$0] }
    }

    /// Writes the rows `row` makes for positions `0..<count` (nil: no row there), and returns what `keep` keeps
    /// of them (nil: nothing), in order. The CSV's columns are `columns`, else every key seen in the order first
    /// seen, which means making the rows twice: once for the columns, once to be written (holding them all would
    /// cost more memory than making them again). Both times on `threads` threads, `block` positions at a time
    /// (`RowBlocks`); the blocks are written in order, so the bytes are those of a serial run.
    @discardableResult
    public static func write(
        _ directory: String, _ name: String, count: Int, columns given: [String]? = nil, block: Int = RowBlocks.block,
        threads: Int = ParallelLineReader.processors, keep: @Sendable (JSONObject) -> JSONObject? = { _ in nil },
        row: @Sendable (Int) -> JSONObject?
    ) throws -> [JSONObject] {
        let columns = given ?? RowBlocks.columns(count: count, block: block, threads: threads, row: row)
        return try write(directory, name, count: count, columns: columns, block: block, threads: threads, keep: keep) { position in
            row(position).map { [$0] } ?? []
        }
    }

    /// `write` where a position makes any number of rows (`rows`) and the columns are known.
    @discardableResult
    public static func write(
        _ directory: String, _ name: String, count: Int, columns: [String], block: Int = RowBlocks.block,
        threads: Int = ParallelLineReader.processors, keep: @Sendable (JSONObject) -> JSONObject? = { _ in nil },
        rows: @Sendable (Int) -> [JSONObject]
    ) throws -> [JSONObject] {
        let json = try AtomicOutput(path: "\(directory)/\(name).json")
        let csv = try AtomicOutput(path: "\(directory)/\(name).csv")
        try json.write { $0.append(UInt8(ascii: "[")) }
        try csv.write { RowWriter.appendCSVHeader(columns, into: &$0) }
        var written = 0
        var kept: [JSONObject] = []
        try RowBlocks.forEachPart(count: count, block: block, threads: threads, rows: rows) { blockRows in
            var part = (json: [UInt8](), csv: [UInt8](), rows: blockRows.count, kept: [JSONObject]())
            for (index, made) in blockRows.enumerated() {
                // A part's first row is written as a file's first; the comma goes before it if it is not.
                RowWriter.appendJSONRow(made, index: index, into: &part.json)
                RowWriter.appendCSV(made, columns: columns, into: &part.csv)
                if let kept = keep(made) { part.kept.append(kept) }
            }
            return part
        } emit: { part in
            guard part.rows > 0 else { return }
            if written > 0 { try json.write { $0.append(UInt8(ascii: ",")) } }
            try json.write(part.json)
            try csv.write(part.csv)
            written += part.rows
            kept += part.kept
        }
        try json.write { $0.append(contentsOf: RowWriter.jsonEnd) }
        try json.commit()
        try csv.commit()
        return kept
    }
}
