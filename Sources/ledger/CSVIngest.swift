import EventLog
import LedgerCore
import LedgerEngine

/// `ledger ingest --csv FILE… --map MAP.json`: each row becomes one JSON event line, which goes through the same
/// append path and validation as any line `ledger ingest` reads; the map only builds the lines.
enum CSVIngest {
    static let help = """
        usage: ledger ingest --csv FILE… --map MAP.json [--rejects FILE] [--batch N] [--log PATH]

        Ingests CSV exports (RFC 4180: a header row, quoted cells with commas, doubled quotes and line breaks,
        UTF-8 with or without a byte-order mark, CRLF or LF). MAP.json says how a row becomes an event: the
        type (a constant or a column), the stream ("family:{Family Ref}"), the id (a column, or
        {"hash": [columns]} so that ingesting the same export again adds nothing), occurredAt, the actor (a
        registered system), and the column that fills each member of data (nested paths such as
        data.members[0].name; constants; dates read with a pattern such as dd/MM/yyyy). See docs/CSV-MAPS.md.
        Each event is then validated and appended exactly as `ledger ingest` does JSON lines. A refused row goes
        to the rejects file as one JSON line {"file", "row", "line", "id"?, "column"?, "reason", "input",
        "event"?}: row is the spreadsheet's row number (the header is row 1), input the row as it was. Every
        file is read, and its header checked against the map, before anything is appended.
        """

    /// A refused row, kept until the file is done so that rejects are written in row order.
    struct Refusal {
        var row: CSVTable.Row
        var column: String?
        var id: String?
        var reason: String
        var event: [UInt8]?
    }

    static func run(_ arguments: Arguments) throws -> ExitStatus {
        guard let mapPath = arguments.value("map") else {
            throw UsageError(message: "--csv needs --map MAP.json")
        }
        let files = arguments.positionals
        guard !files.isEmpty else {
            throw UsageError(message: "name at least one CSV FILE to ingest")
        }
        for path in files + [mapPath] {
            guard path != "-" else {
                throw UsageError(message: "--csv reads files, not standard input")
            }
            guard WriteCommands.isReadable(path) else {
                throw UsageError(message: "cannot read \(path)")
            }
        }
        let batch = try arguments.integer("batch") ?? 4096
        guard batch >= 1 else { throw UsageError(message: "--batch must be at least 1") }
        let map: CSVMap
        let mapBytes: [UInt8]
        do { mapBytes = try FileOutput.readInput(mapPath) } catch {
            throw CSVError(message: "\(mapPath): cannot be read: \(error)")
        }
        do {
            map = try CSVMap(json: try JSONParser.parse(mapBytes))
        } catch let error as CSVError {
            throw CSVError(message: "\(mapPath): \(error.message)")
        } catch {
            throw CSVError(message: "\(mapPath): the map is not JSON: \(error)")
        }
        // Every file is read and checked against the map first: a file the map cannot read adds nothing.
        var tables: [(path: String, table: CSVTable)] = []
        for path in files {
            let table: CSVTable
            let bytes: [UInt8]
            do { bytes = try FileOutput.readInput(path) } catch {
                throw CSVError(message: "\(path): cannot be read: \(error)")
            }
            do { table = try CSVTable(bytes: bytes) } catch {
                throw CSVError(message: "\(path): \(error.message)")
            }
            let missing = map.columns.filter { !table.header.contains($0) }
            if !missing.isEmpty {
                throw CSVError(
                    message: "\(path): the map reads column\(missing.count == 1 ? "" : "s") "
                        + missing.map { "\"\($0)\"" }.joined(separator: ", ")
                        + ", which the header row does not have; nothing ingested")
            }
            for name in map.columns where table.header.filter({ $0 == name }).count > 1 {
                throw CSVError(
                    message:
                        "\(path): column \"\(name)\" appears twice in the header; nothing ingested")
            }
            tables.append((path, table))
        }
        let log = CommandRunner.logPath(arguments)
        let store = LedgerStore(path: log, environment: try CommandRunner.environment())
        if let path = arguments.value("rejects") {
            try WriteCommands.checkRejects(path, log: log, inputs: files + [mapPath])
        }
        let rejects = arguments.value("rejects").map(RejectsFile.init)
        var total = AppendSummary()
        for (path, table) in tables {
            Console.progress("ingest \(path): \(table.rows.count) rows", stage: true)
            var lines: [[UInt8]] = []
            var lineRows: [CSVTable.Row] = []
            var refusals: [Refusal] = []
            for row in table.rows {
                if let problem = row.problem {
                    refusals.append(Refusal(row: row, reason: problem))
                    continue
                }
                do {
                    lines.append(try map.event(cells: row.cells, header: table.header))
                    lineRows.append(row)
                } catch {
                    refusals.append(Refusal(row: row, column: error.column, reason: error.reason))
                }
            }
            let mapped = refusals.count
            var reported = total
            let summary = try WriteCommands.stopping(at: path, reported: { reported }, log: log) {
                try store.append(.lines(lines), mode: .ingest(batchSize: batch)) {
                    number, outcome, input in
                    if number % 1_000 == 0 {
                        Console.progress("ingest \(path): event \(number) of \(lines.count)")
                    }
                    switch outcome {
                    case .appended: reported.appended += 1
                    case .duplicate: reported.duplicates += 1
                    case .refused: reported.refused += 1
                    }
                    guard case .refused(let error) = outcome, lineRows.indices.contains(number - 1)
                    else {
                        return
                    }
                    refusals.append(
                        Refusal(
                            row: lineRows[number - 1], column: map.column(filling: error.field),
                            id: error.id,
                            reason: error.reason, event: Array(input)))
                }
            }
            Console.endProgress()
            WriteCommands.reportRecovery(summary)
            total.appended += summary.appended
            total.duplicates += summary.duplicates
            total.refused += summary.refused + mapped
            total.head = summary.head
            refusals.sort { $0.row.number < $1.row.number }
            // The rows are in the log now: if their refusals cannot be written, the counts are still said.
            try WriteCommands.stopping(at: path, reported: { total }, log: log) {
                for refusal in refusals {
                    if let rejects {
                        try rejects.write(Rejects.row(file: path, refusal: refusal, table: table))
                    } else {
                        let column = refusal.column.map { " (column \"\($0)\")" } ?? ""
                        Console.errLine(
                            "refused: \(path) row \(refusal.row.number)\(column): \(refusal.reason)"
                        )
                    }
                }
            }
        }
        return try WriteCommands.finishIngest(total, rejects: rejects)
    }
}

extension Rejects {
    /// The rejects line of a refused CSV row: where it is, why, and the row as it was.
    static func row(file: String, refusal: CSVIngest.Refusal, table: CSVTable) -> [UInt8] {
        var object = JSONObject([
            JSONMember("file", .string(file)), JSONMember("row", .int(refusal.row.number)),
            JSONMember("line", .int(refusal.row.line)),
        ])
        if let id = refusal.id { object["id"] = .string(id) }
        if let column = refusal.column { object["column"] = .string(column) }
        object["reason"] = .string(refusal.reason)
        object["input"] = .string(table.text(of: refusal.row))
        let bytes = Array(table.bytes[refusal.row.bytes])
        if String(validating: bytes, as: UTF8.self) == nil {
            object["inputBase64"] = .string(Base64.encode(bytes))
        }
        if let event = refusal.event {
            object["event"] = .string(String(decoding: event, as: UTF8.self))
        }
        var line = JSONWriter.bytes(.object(object))
        line.append(0x0A)
        return line
    }
}
