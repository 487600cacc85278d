import EventLog

/// How rows are written: `table` for people at a terminal, `json` (one document), `jsonl`, `csv`.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, json, jsonl, csv, html
}

/// Renders rows (ordered JSON objects). Pure: returns bytes, writes nothing.
public enum RowWriter {
    /// One JSON document: an array of the rows.
    public static func json(_ rows: [JSONObject]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, row) in rows.enumerated() {
            out.append(contentsOf: index == 0 ? Array("\n".utf8) : Array(",\n".utf8))
            JSONWriter.write(.object(row), into: &out)
        }
        out.append(contentsOf: Array("\n]\n".utf8))
        return out
    }

    /// One JSON object per line.
    public static func jsonl(_ rows: [JSONObject]) -> [UInt8] {
        var out: [UInt8] = []
        for row in rows {
            JSONWriter.write(.object(row), into: &out)
            out.append(0x0A)
        }
        return out
    }

    /// RFC 4180 CSV with a header of every column seen; nested values as compact JSON. Cells that a spreadsheet
    /// would run as a formula (starting with = + - @ tab or CR) are prefixed with `'`.
    public static func csv(_ rows: [JSONObject], columns: [String]? = nil) -> [UInt8] {
        let header = columns ?? allColumns(rows)
        var out = header.map(escapeCSV).joined(separator: ",") + "\r\n"
        for row in rows {
            out += header.map { escapeCSV(cellText(row[$0])) }.joined(separator: ",") + "\r\n"
        }
        return Array(out.utf8)
    }

    /// An aligned plain-text table of the given columns (nested values as compact JSON, long cells cut).
    public static func table(_ rows: [JSONObject], columns: [String]? = nil, maxWidth: Int = 48) -> [UInt8] {
        let header = columns ?? allColumns(rows)
        var cells: [[String]] = [header]
        for row in rows {
            cells.append(header.map { column in
                var text = cellText(row[column]).replacing("\n", with: " ")
                if text.count > maxWidth { text = String(text.prefix(maxWidth - 1)) + "…" }
                return text
            })
        }
        var widths = header.map { _ in 0 }
        for line in cells { for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) } }
        var out = ""
        for (lineIndex, line) in cells.enumerated() {
            out += line.enumerated().map { index, cell in
                index == line.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ") + "\n"
            if lineIndex == 0 {
                out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            }
        }
        if rows.isEmpty { out += "(none)\n" }
        return Array(out.utf8)
    }

    static func allColumns(_ rows: [JSONObject]) -> [String] {
        var seen: [String] = []
        for row in rows { for key in row.keys where !seen.contains(key) { seen.append(key) } }
        return seen
    }

    /// The text of a cell: strings as they are, null empty, everything else compact JSON.
    public static func cellText(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let text)?: return text
        case .bool(let flag)?: return flag ? "true" : "false"
        case .number(let text)?: return text
        case .array(let items)? where items.allSatisfy({ $0.stringValue != nil }):
            return items.compactMap(\.stringValue).joined(separator: ";")
        case let other?: return JSONWriter.string(other)
        }
    }

    /// Quotes a CSV cell when needed and neutralises formula injection.
    public static func escapeCSV(_ text: String) -> String {
        var cell = text
        if let first = cell.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first), Double(cell) == nil {
            cell = "'" + cell
        }
        if cell.contains(",") || cell.contains("\"") || cell.contains("\n") || cell.contains("\r") {
            return "\"" + cell.replacing("\"", with: "\"\"") + "\""
        }
        return cell
    }
}
