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
        for (index, row) in rows.enumerated() { appendJSONRow(row, index: index, into: &out) }
        out.append(contentsOf: jsonEnd)
        return out
    }

    /// How a JSON array document (`json`) ends.
    public static let jsonEnd: [UInt8] = Array("\n]\n".utf8)

    /// One JSON object per line.
    public static func jsonl(_ rows: [JSONObject]) -> [UInt8] {
        var out: [UInt8] = []
        for row in rows {
            JSONWriter.writeForDisplay(.object(row), into: &out)
            out.append(0x0A)
        }
        return out
    }

    /// RFC 4180 CSV with a header of every column seen; nested values as compact JSON. Cells that a spreadsheet
    /// would run as a formula (starting with = + - @ tab or CR) are prefixed with `'`.
    public static func csv(_ rows: [JSONObject], columns: [String]? = nil) -> [UInt8] {
        let header = columns ?? allColumns(rows)
        var out: [UInt8] = []
        appendCSVHeader(header, into: &out)
        for row in rows { appendCSV(row, columns: header, into: &out) }
        return out
    }

    /// The CSV header line of `columns`.
    public static func appendCSVHeader(_ columns: [String], into out: inout [UInt8]) {
        for (index, column) in columns.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: escapeCSV(column).utf8)
        }
        out.append(contentsOf: [0x0D, 0x0A])
    }

    /// One CSV line: the row's cells in `columns` order.
    public static func appendCSV(_ row: JSONObject, columns: [String], into out: inout [UInt8]) {
        let members = row.members
        for (index, column) in columns.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            // The projections make their rows with the members in the columns' order, each once: the member is
            // looked for at the column's place first.
            if index < members.count, members[index].key == column {
                appendCSVCell(members[index].value, into: &out)
            } else {
                appendCSVCell(row[column], into: &out)
            }
        }
        out.append(contentsOf: [0x0D, 0x0A])
    }

    /// A cell as `escapeCSV(cellText(value))`, written straight to `out`: most cells (codes, dates, numbers,
    /// names) need no quoting and go in as they are.
    static func appendCSVCell(_ value: JSONValue?, into out: inout [UInt8]) {
        switch value {
        case nil, .null?: return
        case .string(let text)?: appendCSVText(text, into: &out)
        case .number(let text)?: appendCSVText(text, into: &out)
        case .bool(let flag)?: out.append(contentsOf: (flag ? "true" : "false").utf8)
        case let other: appendCSVText(cellText(other), into: &out)
        }
    }

    /// A text cell as `escapeCSV(text)`, written straight to `out`.
    static func appendCSVText(_ text: String, into out: inout [UInt8]) {
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard let first = bytes.first else { return true }
            // Printable ASCII, the usual case, in one pass; only text with other bytes is looked at again.
            guard !isFormulaStart(first),
                bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x2C && $0 != 0x22 })
                    || !bytes.contains(where: {
                        $0 == 0x2C || $0 == 0x22 || TerminalText.mayBeginControl($0)
                    })
            else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain != true { out.append(contentsOf: escapeCSV(text).utf8) }
    }

    /// One row of a JSON array document (`json`): the `index`th row, with the separator before it.
    public static func appendJSONRow(_ row: JSONObject, index: Int, into out: inout [UInt8]) {
        appendJSONRowSeparator(index: index, into: &out)
        JSONWriter.writeForDisplay(.object(row), into: &out)
    }

    /// What goes before the `index`th row of a JSON array document (`json`): a line break, after a comma but for
    /// the first row.
    static func appendJSONRowSeparator(index: Int, into out: inout [UInt8]) {
        if index == 0 {
            out.append(0x0A)
        } else {
            out.append(contentsOf: [UInt8(ascii: ","), 0x0A])
        }
    }

    /// An aligned plain-text table of the given columns (nested values as compact JSON, long cells cut; line breaks
    /// shown as spaces and every other control character written visibly, as `TerminalText` does).
    public static func table(_ rows: [JSONObject], columns: [String]? = nil, maxWidth: Int = 48)
        -> [UInt8]
    {
        let header = columns ?? allColumns(rows)
        var cells: [[String]] = [header.map { TerminalText.escape($0) }]
        for row in rows {
            cells.append(
                header.map { column in
                    var text = TerminalText.escape(cellText(row[column]).replacing("\n", with: " "))
                    if text.count > maxWidth { text = String(text.prefix(maxWidth - 1)) + "…" }
                    return text
                })
        }
        var widths = header.map { _ in 0 }
        for line in cells {
            for (index, cell) in line.enumerated() {
                widths[index] = max(widths[index], cell.count)
            }
        }
        var out = ""
        for (lineIndex, line) in cells.enumerated() {
            out +=
                line.enumerated().map { index, cell in
                    index == line.count - 1
                        ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
                }.joined(separator: "  ") + "\n"
            if lineIndex == 0 {
                out +=
                    widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            }
        }
        if rows.isEmpty { out += "(none)\n" }
        return Array(out.utf8)
    }

    public static func allColumns(_ rows: [JSONObject]) -> [String] {
        columns(firstSeenIn: rows.lazy.map(\.keys))
    }

    /// The keys of each row in `keys`, each once, in the order first seen.
    package static func columns<Keys: Sequence>(firstSeenIn keys: Keys) -> [String]
    where Keys.Element: Sequence<String> {
        var columns: [String] = []
        var seen = Set<String>()
        for rowKeys in keys {
            for key in rowKeys where seen.insert(key).inserted { columns.append(key) }
        }
        return columns
    }

    /// The text of a cell: strings as they are, null empty, everything else compact JSON (as output JSON is written).
    public static func cellText(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let text)?: return text
        case .bool(let flag)?: return flag ? "true" : "false"
        case .number(let text)?: return text
        case .array(let items)? where items.allSatisfy({ $0.stringValue != nil }):
            return items.compactMap(\.stringValue).joined(separator: ";")
        case let other?:
            var out: [UInt8] = []
            JSONWriter.writeForDisplay(other, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Whether a cell starting with `byte` would be read by a spreadsheet as a formula: = + - @ tab CR.
    static func isFormulaStart(_ byte: UInt8) -> Bool {
        byte == 0x3D || byte == 0x2B || byte == 0x2D || byte == 0x40 || byte == 0x09 || byte == 0x0D
    }

    /// Quotes a CSV cell when needed, neutralises formula injection, and writes control characters other than tab
    /// and line breaks visibly (`TerminalText`: a CSV is as often shown on a terminal as opened in a spreadsheet).
    public static func escapeCSV(_ text: String) -> String {
        let text = TerminalText.escape(text, keeping: "\t\n\r")
        // The common cell (no quote, comma or line break; not starting like a formula) is written as it is.
        let plain = !text.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        if plain, let first = text.utf8.first, !isFormulaStart(first) { return text }
        var cell = text
        if let first = cell.utf8.first, isFormulaStart(first), Double(cell) == nil {
            cell = "'" + cell
        }
        if plain { return cell }
        // Byte by byte: a "\r\n" inside a cell is one Character, which a Character search would not see.
        var quoted: [UInt8] = [0x22]
        for byte in cell.utf8 {
            quoted.append(byte)
            if byte == 0x22 { quoted.append(0x22) }
        }
        quoted.append(0x22)
        return String(decoding: quoted, as: UTF8.self)
    }
}
