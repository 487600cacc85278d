import EventLog

/// A projection written to a folder as `name.json` and `name.csv`: the same bytes as its `--format json` and
/// `--format csv` outputs (`RowWriter`), each file put in place whole.
public enum ProjectionFiles {
    /// Rows made per block of positions, a block per core at a time.
    public static let block = 512

    /// Writes `rows`.
    public static func write(_ directory: String, _ name: String, _ rows: [JSONObject]) throws {
        try write(directory, name, count: rows.count, columns: RowWriter.allColumns(rows)) { rows[$0] }
    }

    /// Writes the rows `row` makes for positions `0..<count` (nil: no row there), and returns what `keep` keeps
    /// of them (nil: nothing), in order. The CSV's columns are `columns`, else every key seen in the order first
    /// seen, which means making the rows twice: once for the columns, once to be written (holding them all would
    /// cost more memory than making them again). Both times on `threads` threads, `block` positions at a time;
    /// the blocks are written in order, so the bytes are those of a serial run.
    @discardableResult
    public static func write(
        _ directory: String, _ name: String, count: Int, columns given: [String]? = nil, block: Int = block,
        threads: Int = ParallelLineReader.processors, keep: @Sendable (JSONObject) -> JSONObject? = { _ in nil },
        row: @Sendable (Int) -> JSONObject?
    ) throws -> [JSONObject] {
        let block = max(1, block)
        let blocks = (count + block - 1) / block
        @Sendable func positions(_ index: Int) -> Range<Int> { (index * block)..<min(count, (index + 1) * block) }
        let columns = given ?? RowWriter.columns(firstSeenIn: ParallelMap.map(blocks, threads: threads) { index in
            RowWriter.columns(firstSeenIn: positions(index).compactMap { row($0)?.keys })
        })
        let json = try AtomicOutput(path: "\(directory)/\(name).json")
        let csv = try AtomicOutput(path: "\(directory)/\(name).csv")
        try json.write { $0.append(UInt8(ascii: "[")) }
        try csv.write { RowWriter.appendCSVHeader(columns, into: &$0) }
        var written = 0
        var kept: [JSONObject] = []
        // A few blocks per thread at a time: only the bytes of those are held until written, never the whole file.
        let window = max(1, threads) * 4
        for first in stride(from: 0, to: blocks, by: window) {
            let parts = ParallelMap.map(min(window, blocks - first), threads: threads) { offset in
                var part = (json: [UInt8](), csv: [UInt8](), rows: 0, kept: [JSONObject]())
                for position in positions(first + offset) {
                    guard let made = row(position) else { continue }
                    // A part's first row is written as a file's first; the comma goes before it if it is not.
                    RowWriter.appendJSONRow(made, index: part.rows, into: &part.json)
                    RowWriter.appendCSV(made, columns: columns, into: &part.csv)
                    part.rows += 1
                    if let kept = keep(made) { part.kept.append(kept) }
                }
                return part
            }
            for part in parts where part.rows > 0 {
                if written > 0 { try json.write { $0.append(UInt8(ascii: ",")) } }
                try json.write(part.json)
                try csv.write(part.csv)
                written += part.rows
                kept += part.kept
            }
        }
        try json.write { $0.append(contentsOf: RowWriter.jsonEnd) }
        try json.commit()
        try csv.commit()
        return kept
    }
}
