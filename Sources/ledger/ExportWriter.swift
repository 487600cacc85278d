#if canImport(Glibc)
    import Glibc
#endif
import Dispatch
import EventLog
import LedgerCore
import LedgerEngine

/// `ledger export`: the applied view of the log for analysts, as hive-partitioned JSON lines.
///
/// Every event in the window once, with its corrections applied, voided events and the correction and void
/// events themselves left out, in `DIR/type=<type>/month=YYYY-MM/events.jsonl` (the month of the day it
/// happened, Europe/London), in log order within each file. `type` and `month` are in the folder names, not in
/// the rows: Spark refuses a column that is both, and DuckDB and every hive reader add them from the path.
/// `DIR/schema.json` says what the rows hold. The same log and window give the same bytes. The tree is written
/// beside DIR and swapped in whole (`DirectoryTree.swapIn`), so a reader sees the old export or the new one. A
/// partition whose rows are those of the export it replaces is a link to that file, not a copy
/// (`ReplacementFile`): re-exporting a log that has grown writes the months that changed.
enum ExportWriter {
    /// Marks a folder as an export (so that a second export may replace it, and nothing else is).
    static let format = "ledger-export/1"

    struct Summary {
        var rows = 0
        var partitions = 0
    }

    /// A partition's rows not yet handed to the writer, and its file (linked to the last export's when the
    /// rows are the same: `ReplacementFile`).
    final class Partition {
        let file: ReplacementFile
        var pending: [UInt8] = []
        init(file: ReplacementFile) { self.file = file }
    }

    /// The file operations of an export (folders made, rows appended), done in order on a thread of their own:
    /// on this machine's file system a new folder or file takes half a millisecond or more, and the rows are
    /// made meanwhile. A few jobs at most wait (each holds 128 KiB of rows or so); the first failure is
    /// kept and stops the rest.
    final class FileWriter: @unchecked Sendable {
        private let queue = DispatchQueue(label: "ledger.export.writer")
        private let room = DispatchSemaphore(value: 16)
        private var mutex = pthread_mutex_t()
        private var failure: (any Error)?

        init() { pthread_mutex_init(&mutex, nil) }
        deinit { pthread_mutex_destroy(&mutex) }

        private var firstFailure: (any Error)? {
            get {
                pthread_mutex_lock(&mutex)
                defer { pthread_mutex_unlock(&mutex) }
                return failure
            }
            set {
                pthread_mutex_lock(&mutex)
                defer { pthread_mutex_unlock(&mutex) }
                if failure == nil { failure = newValue }
            }
        }

        /// Queues `job` (waiting while many are queued); throws a failure of an earlier job, if there was one.
        func submit(_ job: @escaping @Sendable () throws -> Void) throws {
            if let failure = firstFailure { throw failure }
            room.wait()
            queue.async {
                defer { self.room.signal() }
                guard self.firstFailure == nil else { return }
                do { try job() } catch { self.firstFailure = error }
            }
        }

        /// Waits for every job.
        func wait() { queue.sync {} }

        /// Waits for every job; throws the first failure.
        func finish() throws {
            wait()
            if let failure = firstFailure { throw failure }
        }
    }

    /// Which file a row goes to: its event's type and the month it happened (year × 100 + month).
    struct PartitionKey: Hashable, Sendable {
        let type: String
        let month: Int

        var monthText: String { ExportWriter.monthText(year: month / 100, month: month % 100) }
        var folder: String { "type=\(type)/month=\(monthText)" }
    }

    /// One slice of the log's rows, made on a parse thread: by partition, in log order within each.
    struct SliceRows: Sendable {
        var keys: [PartitionKey: Int] = [:]
        var pieces: [(key: PartitionKey, bytes: [UInt8], rows: Int)] = []

        /// Adds the event's row, unless it is a correction, a void, or voided.
        mutating func add(_ event: StoredEvent) {
            guard event.kind != .eventCorrected, event.kind != .eventVoided, !event.isVoided else {
                return
            }
            let key = PartitionKey(
                type: event.type, month: event.date.year * 100 + event.date.month)
            let index: Int
            if let found = keys[key] {
                index = found
            } else {
                index = pieces.count
                keys[key] = index
                // A slice's rows of one partition are tens of KiB: room for them at once, not grown from nothing.
                var bytes: [UInt8] = []
                bytes.reserveCapacity(16 << 10)
                pieces.append((key, bytes, 0))
            }
            appendRow(event, to: &pieces[index].bytes)
            pieces[index].rows += 1
        }
    }

    static func write(log: String, window: EventWindow, to out: String) throws -> Summary {
        try checkTarget(out)
        let staged = out.hasSuffix("/") ? String(out.dropLast()) + ".partial" : out + ".partial"
        // A read that stops (a break in the chain, a line that cannot be read) leaves no rows behind.
        do { return try write(log: log, window: window, to: out, staged: staged) } catch {
            try? DirectoryTree.remove(staged)
            throw error
        }
    }

    private static func write(log: String, window: EventWindow, to out: String, staged: String)
        throws -> Summary
    {
        try DirectoryTree.remove(staged)
        try FileOutput.makeDirectory(staged)
        var partitions: [PartitionKey: Partition] = [:]
        var typesSeen: [String: [String: Int]] = [:]  // type -> month -> rows
        var summary = Summary()
        let writer = FileWriter()
        // However the read ends, nothing is still writing when this returns.
        defer { writer.wait() }
        func flush(_ partition: Partition) throws {
            let bytes = partition.pending
            let file = partition.file
            partition.pending = []
            try writer.submit { try file.append(bytes) }
        }
        // The rows are made on the parse threads, a slice at a time; here they are only put in their files, in
        // log order, by the writer's thread.
        try EventScanner.mapSlices(
            path: log, window: window, start: { SliceRows() }, transform: { $0.add($1) }
        ) { slice in
            for piece in slice.pieces {
                let partition: Partition
                if let found = partitions[piece.key] {
                    partition = found
                } else {
                    let folder = "\(staged)/\(piece.key.folder)"
                    try writer.submit { try FileOutput.makeDirectory(folder) }
                    partition = Partition(
                        file: ReplacementFile(
                            path: "\(folder)/events.jsonl",
                            previous: "\(out)/\(piece.key.folder)/events.jsonl"))
                    partitions[piece.key] = partition
                }
                partition.pending.append(contentsOf: piece.bytes)
                typesSeen[piece.key.type, default: [:]][piece.key.monthText, default: 0] +=
                    piece.rows
                summary.rows += piece.rows
                if partition.pending.count >= 1 << 17 { try flush(partition) }
            }
        }
        for partition in partitions.values {
            try flush(partition)
            let file = partition.file
            try writer.submit { try file.finish() }
        }
        try writer.finish()
        summary.partitions = partitions.count
        try FileOutput.writeAtomically(
            schema(typesSeen), to: "\(staged)/schema.json", durable: false)
        try DirectoryTree.syncFileSystem(of: staged)
        try DirectoryTree.swapIn(staged, at: out)
        return summary
    }

    /// DIR may be absent, an empty folder or an earlier export; anything else is refused (never overwritten).
    static func checkTarget(_ out: String) throws {
        guard FileOutput.size(out) != nil else { return }
        guard DirectoryTree.isDirectory(out) else {
            throw UsageError(
                message: "--out \(out) is not a folder; export writes a folder of its own")
        }
        let entries = try DirectoryTree.entries(of: out)
        if entries.isEmpty { return }
        let schema = FileOutput.read(out + "/schema.json").flatMap {
            try? JSONParser.parse($0).objectValue
        }
        guard schema?["format"]?.stringValue == format else {
            throw UsageError(
                message:
                    "--out \(out) holds files that are not a ledger export; give a new or empty folder (an earlier export is replaced)"
            )
        }
        // An earlier export is replaced whole: anything else put in it (notes, queries) would go with it.
        let foreign = try foreignEntries(in: out)
        if let first = foreign.first {
            throw UsageError(
                message:
                    "--out \(out) is an earlier export that also holds \(first)\(foreign.count > 1 ? " and \(foreign.count - 1) more" : ""), which a new export would remove: move them out, or give another folder"
            )
        }
    }

    /// What an export folder holds that an export did not write: anything but `schema.json`, `type=…` folders,
    /// their `month=…` folders, and an `events.jsonl` in each.
    static func foreignEntries(in out: String) throws -> [String] {
        var foreign: [String] = []
        for entry in try DirectoryTree.entries(of: out).sorted() where entry != "schema.json" {
            let typePath = "\(out)/\(entry)"
            guard entry.hasPrefix("type="), DirectoryTree.isDirectory(typePath) else {
                foreign.append(entry)
                continue
            }
            for month in try DirectoryTree.entries(of: typePath).sorted() {
                let monthPath = "\(typePath)/\(month)"
                guard month.hasPrefix("month="), DirectoryTree.isDirectory(monthPath) else {
                    foreign.append("\(entry)/\(month)")
                    continue
                }
                for file in try DirectoryTree.entries(of: monthPath).sorted()
                where file != "events.jsonl" {
                    foreign.append("\(entry)/\(month)/\(file)")
                }
            }
        }
        return foreign
    }

    static func monthText(year: Int, month: Int) -> String {
        "\(year)-\(month < 10 ? "0\(month)" : "\(month)")"
    }

    /// One row: the event's envelope and its data in force, with the ids of the corrections applied. Its text
    /// members are copied from the log's bytes as JSON strings (`StoredEvent.writeJSON`).
    static func appendRow(_ event: StoredEvent, to out: inout [UInt8]) {
        put(#"{"seq":"#, &out)
        putDecimal(event.seq, &out)
        put(#","id":"#, &out)
        event.writeJSON(.id, into: &out)
        put(#","stream":"#, &out)
        event.writeJSON(.stream, into: &out)
        put(#","family":"#, &out)
        event.writeJSON(.familyRef, into: &out)
        put(#","occurredAt":"#, &out)
        event.writeJSON(.occurredAt, into: &out)
        put(#","date":""#, &out)
        putDate(event.date, &out)
        put(#"","recordedAt":"#, &out)
        event.writeJSON(.recordedAt, into: &out)
        put(#","actor":{"id":"#, &out)
        event.writeJSON(.actorID, into: &out)
        put(#","role":"#, &out)
        event.writeJSON(.actorRole, into: &out)
        put(#"},"data":"#, &out)
        event.data.appendJSON(to: &out)
        put(#","correctedBy":["#, &out)
        var first = true
        for amendment in event.amendments where amendment.kind == .corrected {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.writeString(amendment.by, into: &out)
        }
        // A redacted event's data is gone, not empty: the row says so, with the notice (when, why, by whom, and
        // the record.redacted event), so an analyst never reads `{}` as "recorded with nothing in it".
        put(#"],"redacted":"#, &out)
        if let notice = event.redaction {
            notice.appendJSON(to: &out)
        } else {
            put("null", &out)
        }
        put("}\n", &out)
    }

    /// Appends a constant's bytes (copied whole, not a character at a time).
    @inline(__always)
    static func put(_ text: StaticString, _ out: inout [UInt8]) {
        out.append(
            contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends `value` in decimal, as `String(value)` spells it.
    static func putDecimal(_ value: Int, _ out: inout [UInt8]) {
        guard value > 0 else {
            out.append(contentsOf: String(value).utf8)
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = value
            var index = buffer.count
            while rest > 0 {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
        }
    }

    /// Appends a date as `CivilDate.description` spells it (YYYY-MM-DD).
    static func putDate(_ date: CivilDate, _ out: inout [UInt8]) {
        guard (0...9999).contains(date.year), (1...12).contains(date.month),
            (1...31).contains(date.day)
        else {
            out.append(contentsOf: date.description.utf8)
            return
        }
        func digit(_ value: Int) -> UInt8 { UInt8(ascii: "0") + UInt8(value) }
        let year = date.year
        out.append(digit(year / 1000))
        out.append(digit(year / 100 % 10))
        out.append(digit(year / 10 % 10))
        out.append(digit(year % 10))
        out.append(UInt8(ascii: "-"))
        out.append(digit(date.month / 10))
        out.append(digit(date.month % 10))
        out.append(UInt8(ascii: "-"))
        out.append(digit(date.day / 10))
        out.append(digit(date.day % 10))
    }

    /// The row members every type shares.
    static let envelope: [(String, JSONValue)] = [
        ("seq", ["type": "integer"]), ("id", ["type": "string"]), ("stream", ["type": "string"]),
        ("family", ["type": ["string", "null"]]), ("occurredAt", ["type": "string"]),
        ("date", ["type": "string", "format": "date"]),
        ("recordedAt", ["type": "string", "format": "date-time"]),
        (
            "actor",
            ["type": "object", "members": ["id": ["type": "string"], "role": ["type": "string"]]]
        ),
        ("data", ["type": "object"]),
        ("correctedBy", ["type": "array", "items": ["type": "string"]]),
        (
            "redacted",
            [
                "type": ["object", "null"],
                "members": [
                    "on": ["type": "string", "format": "date"], "reason": ["type": "string"],
                    "by": ["type": "string"], "record": ["type": "string"],
                ],
            ]
        ),
    ]

    /// `schema.json`: the partitioning, the members of every row, each exported type's data members (from the
    /// catalogue, which every stored event and correction passed) and its row counts per month.
    static func schema(_ typesSeen: [String: [String: Int]]) -> [UInt8] {
        var types = JSONObject()
        for (type, months) in typesSeen.sorted(by: { $0.key < $1.key }) {
            var entry = JSONObject()
            entry["rows"] = .int(months.values.reduce(0, +))
            entry["months"] = .object(
                JSONObject(
                    months.sorted { $0.key < $1.key }.map { JSONMember($0.key, .int($0.value)) }))
            if let declared = Catalogue.types[type] {
                entry["data"] = .object(
                    JSONObject(declared.fields.map { JSONMember($0.name, describe($0)) }))
            }
            types[type] = .object(entry)
        }
        let document: JSONValue = .object(
            JSONObject([
                JSONMember("format", .string(format)),
                JSONMember("partitioning", ["type", "month"]),
                JSONMember("files", "type=<type>/month=YYYY-MM/events.jsonl"),
                JSONMember("rows", .object(JSONObject(envelope.map { JSONMember($0.0, $0.1) }))),
                JSONMember("types", .object(types)),
            ]))
        var bytes = JSONWriter.bytes(document)
        bytes.append(0x0A)
        return bytes
    }

    static func describe(_ field: Field) -> JSONValue {
        var object = describe(field.kind).objectValue ?? JSONObject()
        object["required"] = .bool(field.required)
        return .object(object)
    }

    static func describe(_ kind: FieldKind) -> JSONValue {
        switch kind {
        case .text: return ["type": "string"]
        case .oneOf(let values):
            return ["type": "string", "enum": .array(values.map { .string($0) })]
        case .date: return ["type": "string", "format": "date"]
        case .bool: return ["type": "boolean"]
        case .integer: return ["type": "integer"]
        case .number, .numberAbove: return ["type": "number"]
        case .reference: return ["type": "string"]
        case .code: return ["type": "string"]
        case .object(let fields):
            return [
                "type": "object",
                "members": .object(JSONObject(fields.map { JSONMember($0.name, describe($0)) })),
            ]
        case .anyObject: return ["type": "object"]
        case .list(let element, _): return ["type": "array", "items": describe(element)]
        case .textOrList: return ["type": ["string", "array"], "items": ["type": "string"]]
        }
    }
}
