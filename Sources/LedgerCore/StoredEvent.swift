import EventLog

/// An event as the projections see it: read from a stored line, with any correction already applied.
///
/// Events read by `EventScanner` are views into the chunk of the log their line was read into: the dates, the
/// type and the seq are parsed, but strings are made only when asked for and `data` members are built only when
/// looked up, so a projection pays for what it reads. A view keeps its chunk (a few megabytes) alive: a caller
/// that keeps many events should keep what it needs from them instead.
public struct StoredEvent: Sendable {
    public let seq: Int
    /// The catalogue type (the catalogue's own string).
    public let type: String
    /// The type as a value to switch on (nil only for a type outside the catalogue, in a damaged log).
    public let kind: EventKind?
    /// The Europe/London calendar date it happened.
    public let date: CivilDate
    public let recordedAt: Timestamp
    /// The payload in force (the latest correction's, if corrected).
    public var data: EventData
    /// The corrections and voids that apply to this event, in log order.
    public var amendments: [Amendment] = []
    /// The byte offset of its line in the log (so a second pass can read it back).
    public var offset = -1
    /// A hash of the family stream (0 for other streams): which shard of a fold by family it belongs to.
    public let route: UInt64
    /// The redaction notice (`on`, `reason`, `by`, `record`) when the payload was removed (`ledger redact`): the
    /// event happened, and its content is gone (`data` is then empty).
    public let redaction: EventData?
    private let text: Text

    /// Where the string members are: in the log's bytes, or in memory.
    private enum Text: Sendable {
        case view(LogChunk, EventSpans)
        case owned(OwnedText)
    }

    private final class OwnedText: Sendable {
        let id: String, stream: String, occurredAt: String, recordedAt: String, actorID: String,
            actorRole: String

        init(
            id: String, stream: String, occurredAt: String, recordedAt: String, actorID: String,
            actorRole: String
        ) {
            self.id = id
            self.stream = stream
            self.occurredAt = occurredAt
            self.recordedAt = recordedAt
            self.actorID = actorID
            self.actorRole = actorRole
        }
    }

    public var id: String {
        switch text {
        case .view(let chunk, let spans): chunk.string(spans.id.range)
        case .owned(let owned): owned.id
        }
    }

    public var stream: String {
        switch text {
        case .view(let chunk, let spans): chunk.string(spans.stream.range)
        case .owned(let owned): owned.stream
        }
    }

    /// `occurredAt` as written.
    public var occurredAt: String {
        switch text {
        case .view(let chunk, let spans): chunk.string(spans.occurredAt.range)
        case .owned(let owned): owned.occurredAt
        }
    }

    /// `recordedAt` as written.
    public var recordedAtText: String {
        switch text {
        case .view(let chunk, let spans): chunk.string(spans.recordedAt.range)
        case .owned(let owned): owned.recordedAt
        }
    }

    public var actorID: String {
        switch text {
        case .view(let chunk, let spans): chunk.string(spans.actorID.range)
        case .owned(let owned): owned.actorID
        }
    }

    public var actorRole: String {
        switch text {
        case .view(let chunk, let spans): chunk.string(spans.actorRole.range)
        case .owned(let owned): owned.actorRole
        }
    }

    /// The text members an event has, for `writeJSON`.
    public enum TextMember: Sendable {
        case id, stream, occurredAt, recordedAt, actorID, actorRole, familyRef
    }

    /// Appends a text member as a JSON string (`JSONWriter.writeString`), read where it lies in the log's bytes
    /// when the event is a view (no string made); `familyRef` of a stream that is no family's is `null`.
    public func writeJSON(_ member: TextMember, into out: inout [UInt8]) {
        guard case .view(let chunk, let spans) = text else {
            let value: String? =
                switch member {
                case .id: id
                case .stream: stream
                case .occurredAt: occurredAt
                case .recordedAt: recordedAtText
                case .actorID: actorID
                case .actorRole: actorRole
                case .familyRef: familyRef
                }
            if let value {
                JSONWriter.writeString(value, into: &out)
            } else {
                out.append(contentsOf: "null".utf8)
            }
            return
        }
        var range: Range<Int>
        switch member {
        case .id: range = spans.id.range
        case .stream: range = spans.stream.range
        case .occurredAt: range = spans.occurredAt.range
        case .recordedAt: range = spans.recordedAt.range
        case .actorID: range = spans.actorID.range
        case .actorRole: range = spans.actorRole.range
        case .familyRef:
            range = spans.stream.range
            guard Self.isFamily(chunk.bytes(range)) else {
                out.append(contentsOf: "null".utf8)
                return
            }
            range = (range.lowerBound + Self.familyPrefix.count)..<range.upperBound
        }
        JSONWriter.writeString(utf8: chunk.bytes(range), into: &out)
    }

    /// The family ref, for family streams.
    public var familyRef: String? {
        switch text {
        case .view(let chunk, let spans):
            guard Self.isFamily(chunk.bytes(spans.stream.range)) else { return nil }
            return chunk.string(
                (spans.stream.range.lowerBound + Self.familyPrefix.count)..<spans.stream.range
                    .upperBound)
        case .owned(let owned):
            return owned.stream.hasPrefix("family:") ? String(owned.stream.dropFirst(7)) : nil
        }
    }

    static let familyPrefix = Array("family:".utf8)

    /// A fingerprint of the id's bytes (for a quick "could this event be amended?").
    var idFingerprint: UInt64 {
        switch text {
        case .view(let chunk, let spans): EventTypeSet.quickHash(chunk.bytes(spans.id.range))
        case .owned(let owned): Self.fingerprint(owned.id)
        }
    }

    static func fingerprint(_ text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { EventTypeSet.quickHash($0) }
    }

    /// Whether a void applies.
    public var isVoided: Bool { amendments.contains { $0.kind == .voided } }

    /// The payload in force with its type, to switch on.
    public var typed: TypedData { TypedData(kind: kind, data: data) }

    /// An event from a stored record, if its dates parse (the reference parser's path).
    public init?(_ record: LedgerRecord) {
        guard let occurred = OccurredAt(record.content.occurredAt),
            let recorded = Timestamp(rfc3339: record.recordedAt)
        else { return nil }
        seq = record.seq
        type = Catalogue.types[record.content.type]?.name ?? record.content.type
        kind = EventKind(name: type)
        date = occurred.date
        recordedAt = recorded
        let actor = record.content.actor.objectValue
        text = .owned(
            OwnedText(
                id: record.content.id, stream: record.content.stream,
                occurredAt: record.content.occurredAt,
                recordedAt: record.recordedAt, actorID: actor?["id"]?.stringValue ?? "",
                actorRole: actor?["role"]?.stringValue ?? ""))
        data = EventData(record.content.data.objectValue ?? JSONObject())
        route = Self.route(of: record.content.stream)
        redaction = record.redacted.map { EventData($0.objectValue ?? JSONObject()) }
    }

    /// The route of a stream: a hash of a family stream's name, 0 for any other stream.
    package static func route(of stream: String) -> UInt64 {
        var stream = stream
        return stream.withUTF8 { route(of: $0) }
    }

    /// The shard of `count` that folds the family `ref`: the one rule by which the parallel scan cuts the log
    /// and a fold restored from a checkpoint is cut to match it.
    package static func shard(ofFamily ref: String, count: Int) -> Int {
        Int(route(of: "family:" + ref) % UInt64(max(1, count)))
    }

    /// Whether a stream name starts `family:`.
    static func isFamily(_ stream: UnsafeBufferPointer<UInt8>) -> Bool {
        stream.count > 7
            && UnsafeRawPointer(stream.baseAddress.unsafelyUnwrapped).loadUnaligned(as: UInt64.self)
                & 0x00FF_FFFF_FFFF_FFFF
                == familyPrefixWord
    }

    /// "family:" as the low seven bytes of a little-endian word.
    private static let familyPrefixWord: UInt64 = familyPrefix.reversed().reduce(0) {
        $0 << 8 | UInt64($1)
    }

    package static func route(of stream: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard isFamily(stream) else { return 0 }
        // Mixed so that every bit depends on the whole name (shards are chosen by the low bits); 0 is reserved.
        var hash = EventTypeSet.fingerprint(stream)
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return hash == 0 ? 1 : hash
    }

    /// A view of a line scanned into `chunk`.
    package init(_ record: EventRecord, chunk: LogChunk) {
        seq = record.seq
        type = EventTypeSet.all.names[Int(record.typeIndex)]
        kind = EventKind.byCatalogueIndex[Int(record.typeIndex)]
        date = record.date
        recordedAt = record.recordedAt
        text = .view(chunk, record.spans)
        data = record.data.count > 0 ? EventData(chunk: chunk, range: record.data.range) : .empty
        offset = record.offset
        route = record.route
        redaction =
            record.redacted.count > 0 ? EventData(chunk: chunk, range: record.redacted.range) : nil
    }
}

/// A range of a chunk in eight bytes.
struct Span: Sendable {
    var start: Int32
    var count: Int32

    package init(_ range: Range<Int>, in line: Int) {
        start = Int32(truncatingIfNeeded: line + range.lowerBound)
        count = Int32(truncatingIfNeeded: range.count)
    }

    static let none = Span(0..<0, in: 0)

    var range: Range<Int> { Int(start)..<(Int(start) + Int(count)) }
}

/// Where a scanned line's string members are in its chunk.
struct EventSpans: Sendable {
    var id: Span
    var stream: Span
    var occurredAt: Span
    var recordedAt: Span
    var actorID: Span
    var actorRole: Span
}

/// An event read by a parse worker: plain values and positions in the chunk, no references, so that making and
/// dropping millions of them costs no reference counting across threads. The consumer turns each into a
/// `StoredEvent` view.
package struct EventRecord: Sendable {
    var seq: Int
    var offset: Int
    /// In `EventTypeSet.all.names`.
    var typeIndex: Int32
    /// In the slice's events decoded by the reference parser; -1 for a view.
    package var owned: Int32
    package var date: CivilDate
    package var recordedAt: Timestamp
    var spans: EventSpans
    /// The data object (count 0: none).
    var data: Span
    /// The redaction notice (count 0: none).
    var redacted: Span
    /// See `StoredEvent.route`.
    package var route: UInt64

    /// The record of a line the scanner accepted, starting at `start` of its chunk, of the type at `typeIndex` of
    /// `EventTypeSet.all`; nil when its dates do not parse (the reference parser's path skips such an event too).
    package init?(
        _ scanned: ScannedLine, line: UnsafeBufferPointer<UInt8>, start: Int, offset: Int,
        type typeIndex: Int
    ) {
        guard
            let occurred = OccurredAt(
                utf8: UnsafeBufferPointer(rebasing: line[scanned.occurredAt])),
            let recorded = Timestamp(
                rfc3339UTF8: UnsafeBufferPointer(rebasing: line[scanned.recordedAt]))
        else { return nil }
        seq = scanned.seq
        self.offset = offset
        self.typeIndex = Int32(typeIndex)
        owned = -1
        date = occurred.date
        recordedAt = recorded
        spans = EventSpans(
            id: Span(scanned.id, in: start), stream: Span(scanned.stream, in: start),
            occurredAt: Span(scanned.occurredAt, in: start),
            recordedAt: Span(scanned.recordedAt, in: start),
            actorID: Span(scanned.actorID, in: start), actorRole: Span(scanned.actorRole, in: start)
        )
        data = scanned.data.map { Span($0, in: start) } ?? .none
        redacted = scanned.redacted.map { Span($0, in: start) } ?? .none
        route = StoredEvent.route(of: UnsafeBufferPointer(rebasing: line[scanned.stream]))
    }

    /// A placeholder pointing at the slice's `index`-th event decoded by the reference parser.
    package init(owned index: Int, seq: Int, route: UInt64) {
        self.seq = seq
        offset = -1
        typeIndex = -1
        owned = Int32(index)
        date = CivilDate(dayNumber: 0)
        recordedAt = Timestamp(seconds: 0)
        spans = EventSpans(
            id: .none, stream: .none, occurredAt: .none, recordedAt: .none, actorID: .none,
            actorRole: .none)
        data = .none
        redacted = .none
        self.route = route
    }
}
