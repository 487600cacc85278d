/// A CSV file as RFC 4180 writes it: a header row, then one record per row; cells separated by commas; a cell in
/// double quotes may hold commas, line breaks and doubled quotes (`""` is one `"`); rows end in CRLF or LF (the
/// last one's end is optional). UTF-8, with or without a byte-order mark.
///
/// Kept deliberately small and strict where it matters: a malformed row (a quoted cell followed by anything but
/// a comma or the row's end, a quote never closed, a cell that is not UTF-8) is returned with its `problem`, so
/// the caller can refuse that row and keep the others. A quote inside an unquoted cell is taken as a character,
/// as spreadsheets write it (`5" tall`).
public struct CSVTable: Sendable {
    /// One row after the header.
    public struct Row: Sendable, Equatable {
        /// The row's number as a spreadsheet shows it: the header is row 1 (blank rows count).
        public var number: Int
        /// The line of the file the row starts on (differs from `number` after a cell with line breaks).
        public var line: Int
        /// The cells, decoded; empty when the row is malformed. An unquoted cell without the spaces and tabs around
        /// it (an export's padding); a quoted cell exactly as written between its quotes (RFC 4180).
        public var cells: [String]
        /// The row's bytes as they were in the file, without its line end.
        public var bytes: Range<Int>
        /// Why the row could not be read, if it could not.
        public var problem: String?
    }

    /// The file's bytes (a byte-order mark included, if there was one).
    public let bytes: [UInt8]
    /// The header's cells, with surrounding spaces removed.
    public let header: [String]
    /// Every row after the header, blank rows left out.
    public let rows: [Row]

    /// Reads `bytes`; throws when there is no readable header row.
    public init(bytes: [UInt8]) throws(CSVError) {
        self.bytes = bytes
        var reader = Reader(bytes: bytes)
        guard let first = reader.next() else {
            throw CSVError(message: "the file is empty: a header row is needed")
        }
        if let problem = first.problem {
            throw CSVError(message: "the header row cannot be read: \(problem)")
        }
        let header = first.cells.map(CSVTable.trimmed)
        if header.allSatisfy(\.isEmpty) { throw CSVError(message: "the header row is blank") }
        self.header = header
        var rows: [Row] = []
        while let row = reader.next() {
            if row.problem == nil && row.bytes.isEmpty { continue }
            rows.append(row)
        }
        self.rows = rows
    }

    /// The row as it was in the file, as text (invalid UTF-8 replaced).
    public func text(of row: Row) -> String { String(decoding: bytes[row.bytes], as: UTF8.self) }

    /// `text` without the spaces and tabs around it.
    public static func trimmed(_ text: String) -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !blank($0) }),
            let last = text.lastIndex(where: { !blank($0) })
        else { return "" }
        return String(text[first...last])
    }

    /// The RFC 4180 state machine over the bytes.
    struct Reader {
        let bytes: [UInt8]
        var index: Int
        var line = 1
        var number = 0

        static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf: UInt8 = 0x0A,
            cr: UInt8 = 0x0D

        init(bytes: [UInt8]) {
            self.bytes = bytes
            index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        }

        /// The length of the line end at `position` (CRLF, LF, or a CR that ends the file), or 0.
        func lineEnd(at position: Int) -> Int {
            guard position < bytes.count else { return 0 }
            if bytes[position] == Self.lf { return 1 }
            if bytes[position] == Self.cr {
                if position + 1 == bytes.count { return 1 }
                if bytes[position + 1] == Self.lf { return 2 }
            }
            return 0
        }

        mutating func next() -> Row? {
            guard index < bytes.count else { return nil }
            number += 1
            let start = index
            let startLine = line
            var cells: [String] = []
            var problem: String?
            var cell: [UInt8] = []
            while true {
                let quoted = index < bytes.count && bytes[index] == Self.quote
                if quoted {
                    index += 1
                    var closed = false
                    while index < bytes.count {
                        let byte = bytes[index]
                        if byte == Self.quote {
                            if index + 1 < bytes.count && bytes[index + 1] == Self.quote {
                                cell.append(Self.quote)
                                index += 2
                                continue
                            }
                            index += 1
                            closed = true
                            break
                        }
                        if byte == Self.lf { line += 1 }
                        cell.append(byte)
                        index += 1
                    }
                    if !closed {
                        problem = "cell \(cells.count + 1) opens a quote that is never closed"
                        break
                    }
                    if index < bytes.count && bytes[index] != Self.comma && lineEnd(at: index) == 0
                    {
                        problem =
                            "cell \(cells.count + 1): a quoted cell must be followed by a comma or the row's end"
                        while index < bytes.count && lineEnd(at: index) == 0 { index += 1 }
                        break
                    }
                } else {
                    while index < bytes.count && bytes[index] != Self.comma
                        && lineEnd(at: index) == 0
                    {
                        cell.append(bytes[index])
                        index += 1
                    }
                }
                if let text = String(validating: cell, as: UTF8.self) {
                    cells.append(quoted ? text : CSVTable.trimmed(text))
                } else if problem == nil {
                    problem = "cell \(cells.count + 1) is not UTF-8"
                }
                cell.removeAll(keepingCapacity: true)
                if index < bytes.count && bytes[index] == Self.comma {
                    index += 1
                    continue
                }
                break
            }
            let end = index
            let ending = lineEnd(at: index)
            if ending > 0 {
                index += ending
                line += 1
            }
            if problem != nil { cells = [] }
            return Row(
                number: number, line: startLine, cells: cells, bytes: start..<end, problem: problem)
        }
    }
}

/// A CSV file or map that cannot be used at all (nothing is ingested from it).
public struct CSVError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, and where.
    public var message: String

    /// An error.
    public init(message: String) { self.message = message }

    public var description: String { message }
}
