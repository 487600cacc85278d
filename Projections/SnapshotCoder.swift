import EventLog
import LedgerCore

/// Why a fold snapshot could not be read back: it is a derived file, so the caller folds the log instead.
public struct SnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String

    public var description: String { "fold snapshot: \(reason)" }
}

/// A piece of the fold's state that writes itself into a snapshot and reads itself back. Each piece's coding
/// sits in the file that declares it, beside its members (as `Codable` puts coding beside the type), so adding a
/// member to a piece of state is one file's change; `SnapshotCodingTests` fails when a member is left out.
protocol SnapshotCodable {
    /// Writes every member that the fold's answers depend on.
    func encode(into writer: inout SnapshotWriter)
    /// Reads back what `encode(into:)` wrote; throws `SnapshotError` when the bytes are not that.
    init(from reader: inout SnapshotReader) throws
}

/// Writes the compact binary form of a fold snapshot: variable-length integers, and strings as indexes into a
/// table of distinct strings (written first), so that a rule's label repeated on a hundred thousand obligations
/// is stored, and read back, once.
struct SnapshotWriter {
    /// The body, in chunks of about a megabyte, and the chunk being written. A body grown as one array is copied
    /// at each doubling: the old and new copies of a fold's 20 MB body, held at once beside the whole fold, were
    /// part of what made the first rebuild of a million events peak at 228 MB.
    private var chunks: [[UInt8]] = []
    private var chunked = 0
    private var body: [UInt8] = []
    private var strings: [String] = []
    private var index: [String: Int] = [:]
    /// Where each full chunk goes instead of being kept (a file being written); nil keeps them.
    private var sink: (([UInt8]) -> Void)?
    private let chunkSize: Int

    /// A writer that keeps what it writes (`bytes()`), in chunks of `chunkSize` bytes or a few more.
    init(chunkSize: Int = 1 << 20) {
        self.chunkSize = max(1, chunkSize)
        body.reserveCapacity(self.chunkSize + 64)
    }

    /// A writer that hands each chunk of the body to `sink` as it fills (and the rest to `finish()`), with the
    /// strings of `table` known in advance: when they are all it meets, the table written before the body is
    /// `table`'s.
    init(strings table: SnapshotWriter, chunkSize: Int = 1 << 20, sink: @escaping ([UInt8]) -> Void)
    {
        self.init(chunkSize: chunkSize)
        strings = table.strings
        index = table.index
        self.sink = sink
    }

    /// A writer that keeps none of its body: it only gathers the strings (for `init(strings:sink:)`).
    static func gatheringStrings() -> SnapshotWriter {
        var writer = SnapshotWriter()
        writer.sink = { _ in }
        return writer
    }

    /// How many distinct strings it has met.
    var stringCount: Int { strings.count }

    /// Starts a new chunk when this one is full (after any write of a few bytes).
    private mutating func spill() {
        guard body.count >= chunkSize else { return }
        chunked += body.count
        if let sink {
            sink(body)
            body.removeAll(keepingCapacity: true)
        } else {
            chunks.append(body)
            body = []
            body.reserveCapacity(chunkSize + 64)
        }
    }

    /// Hands what is left of the body to the sink.
    mutating func finish() {
        chunked += body.count
        sink?(body)
        body.removeAll()
    }

    mutating func int(_ value: Int) {
        // Zigzag, then seven bits at a time.
        var bits = UInt64(bitPattern: Int64((value << 1) ^ (value >> 63)))
        while bits >= 0x80 {
            body.append(UInt8(truncatingIfNeeded: bits) | 0x80)
            bits >>= 7
        }
        body.append(UInt8(bits))
        spill()
    }

    mutating func bool(_ value: Bool) {
        body.append(value ? 1 : 0)
        spill()
    }

    mutating func double(_ value: Double) {
        var bits = value.bitPattern
        for _ in 0..<8 {
            body.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
        spill()
    }

    mutating func string(_ value: String) {
        if let known = index[value] {
            int(known)
        } else {
            index[value] = strings.count
            int(strings.count)
            strings.append(value)
        }
    }

    mutating func date(_ value: CivilDate) { int(value.dayNumber) }

    /// Where the next byte of the body goes.
    var position: Int { chunked + body.count }

    /// Eight bytes, little-endian, at the very end (the trailer that says where the index is).
    mutating func fixed(_ value: Int) {
        var bits = UInt64(bitPattern: Int64(value))
        for _ in 0..<8 {
            body.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }

    mutating func optional<T>(_ value: T?, _ write: (inout SnapshotWriter, T) -> Void) {
        bool(value != nil)
        if let value { write(&self, value) }
    }

    mutating func array<T>(_ values: [T], _ write: (inout SnapshotWriter, T) -> Void) {
        int(values.count)
        for value in values { write(&self, value) }
    }

    /// A piece of state that codes itself.
    mutating func value(_ value: some SnapshotCodable) { value.encode(into: &self) }

    mutating func optional(_ value: (some SnapshotCodable)?) {
        optional(value) { $1.encode(into: &$0) }
    }

    mutating func array(_ values: [some SnapshotCodable]) {
        array(values) { $1.encode(into: &$0) }
    }

    /// The finished bytes: the string table, then the body (what was kept: none of it when there is a sink).
    func bytes() -> [UInt8] { (tableParts() + chunks + [body]).flatMap { $0 } }

    /// The string table's bytes, in parts.
    func tableParts() -> [[UInt8]] {
        var table = SnapshotWriter()
        table.int(strings.count)
        for text in strings {
            table.int(text.utf8.count)
            table.body.append(contentsOf: text.utf8)
            table.spill()
        }
        return table.chunks + [table.body]
    }
}

/// Reads what `SnapshotWriter` wrote; every read is checked, and a short or inconsistent file is an error.
/// Strings are made from the table only when first read (a reader of a few families needs few of them).
struct SnapshotReader {
    private let bytes: [UInt8]
    private var position = 0
    /// Where each string of the table starts and ends (two entries per string).
    private var stringBounds: [Int32] = []
    private var strings: [String?] = []
    /// Lists of event patterns read so far, by their texts: the obligations of a rule share one list.
    var patternLists: [[String]: [EventPattern]] = [:]
    /// Obligation terms read so far, by the table indices of their strings: the obligations of a rule share them.
    var obligationTerms: [[Int]: ObligationTerms] = [:]
    /// Where the body starts (after the string table).
    private(set) var bodyStart = 0

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        let count = try int()
        guard count >= 0, count <= bytes.count else {
            throw SnapshotError(reason: "string table count \(count)")
        }
        stringBounds.reserveCapacity(2 * count)
        for _ in 0..<count {
            let length = try int()
            guard length >= 0, position + length <= bytes.count else {
                throw SnapshotError(reason: "string past the end")
            }
            stringBounds.append(Int32(position))
            position += length
            stringBounds.append(Int32(position))
        }
        strings = Array(repeating: nil, count: count)
        bodyStart = position
    }

    var isAtEnd: Bool { position == bytes.count }

    /// Moves to `offset` of the body.
    mutating func seek(toBody offset: Int) throws {
        guard offset >= 0, bodyStart + offset <= bytes.count else {
            throw SnapshotError(reason: "offset \(offset) past the end")
        }
        position = bodyStart + offset
    }

    /// The eight-byte value at the very end.
    func trailer() throws -> Int {
        guard bytes.count - bodyStart >= 8 else { throw SnapshotError(reason: "no trailer") }
        var bits: UInt64 = 0
        for index in 0..<8 { bits |= UInt64(bytes[bytes.count - 8 + index]) << (8 * UInt64(index)) }
        return Int(Int64(bitPattern: bits))
    }

    /// Bytes left to read.
    var remaining: Int { bytes.count - position }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw SnapshotError(reason: "ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func int() throws -> Int {
        var bits: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try byte()
            guard shift < 64 else { throw SnapshotError(reason: "integer too long") }
            bits |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        let value = Int64(bitPattern: bits)
        return Int((value >> 1) ^ -(value & 1))
    }

    mutating func count() throws -> Int {
        let value = try int()
        guard value >= 0, value <= bytes.count - position + 1 else {
            throw SnapshotError(reason: "count \(value)")
        }
        return value
    }

    mutating func bool() throws -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let other: throw SnapshotError(reason: "flag \(other)")
        }
    }

    mutating func double() throws -> Double {
        var bits: UInt64 = 0
        for index in 0..<8 { bits |= UInt64(try byte()) << (8 * UInt64(index)) }
        return Double(bitPattern: bits)
    }

    mutating func string() throws -> String { string(at: try stringIndex()) }

    /// The index in the string table of the next string.
    mutating func stringIndex() throws -> Int {
        let index = try int()
        guard index >= 0, index < strings.count else {
            throw SnapshotError(reason: "string \(index) not in the table")
        }
        return index
    }

    /// The string at `index` of the table (from `stringIndex`).
    mutating func string(at index: Int) -> String {
        if let known = strings[index] { return known }
        let range = Int(stringBounds[2 * index])..<Int(stringBounds[2 * index + 1])
        let text = bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self)
        }
        strings[index] = text
        return text
    }

    mutating func date() throws -> CivilDate {
        let day = try int()
        guard abs(day) < 4_000_000 else { throw SnapshotError(reason: "day \(day)") }
        return CivilDate(dayNumber: day)
    }

    mutating func optional<T>(_ read: (inout SnapshotReader) throws -> T) throws -> T? {
        try bool() ? try read(&self) : nil
    }

    mutating func array<T>(_ read: (inout SnapshotReader) throws -> T) throws -> [T] {
        let count = try count()
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try read(&self)) }
        return values
    }

    /// A piece of state that codes itself.
    mutating func value<T: SnapshotCodable>(_: T.Type = T.self) throws -> T { try T(from: &self) }

    mutating func optional<T: SnapshotCodable>(_: T.Type = T.self) throws -> T? {
        try optional { try T(from: &$0) }
    }

    mutating func array<T: SnapshotCodable>(_: T.Type = T.self) throws -> [T] {
        try array { try T(from: &$0) }
    }
}
