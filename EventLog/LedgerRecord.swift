/// The members a writer supplies for one event, already checked and in canonical (compact) JSON.
///
/// The storage engine adds `seq`, `recordedAt`, `dataHash`, `prev`, `hash` and `salt` when it writes the line.
public struct RecordContent: Sendable, Equatable {
    /// The event's id (idempotency key).
    public var id: String
    /// `family:<ref>`, `worker:<id>` or `org`.
    public var stream: String
    /// The catalogue type.
    public var type: String
    /// The version of the type's `data` schema.
    public var version: Int
    /// When it happened, as written (`YYYY-MM-DD` or RFC 3339).
    public var occurredAt: String
    /// The actor object.
    public var actor: JSONValue
    /// The provenance object, if any.
    public var source: JSONValue?
    /// The payload object.
    public var data: JSONValue

    /// Creates the content of a record.
    public init(
        id: String, stream: String, type: String, version: Int = 1, occurredAt: String,
        actor: JSONValue,
        source: JSONValue? = nil, data: JSONValue
    ) {
        self.id = id
        self.stream = stream
        self.type = type
        self.version = version
        self.occurredAt = occurredAt
        self.actor = actor
        self.source = source
        self.data = data
    }

    /// The canonical bytes of everything a writer sets: two records with equal fingerprints are the same event.
    public var fingerprint: [UInt8] { JSONWriter.bytes(.object(writerObject)) }

    /// The event as a writer would have given it (the members a writer sets, in order).
    public var writerObject: JSONObject {
        var object = JSONObject([
            JSONMember("id", .string(id)), JSONMember("stream", .string(stream)),
            JSONMember("type", .string(type)), JSONMember("v", .number(String(version))),
            JSONMember("occurredAt", .string(occurredAt)), JSONMember("actor", actor),
        ])
        if let source { object.members.append(JSONMember("source", source)) }
        object.members.append(JSONMember("data", data))
        return object
    }
}

/// One stored line of the log, parsed, with the byte ranges that the hash chain covers.
public struct LedgerRecord: Sendable, Equatable {
    /// Position in the log, from 1.
    public var seq: Int
    /// Everything the writer set.
    public var content: RecordContent
    /// When the ledger appended it (RFC 3339 UTC).
    public var recordedAt: String
    /// SHA-256 of salt + stored data bytes, hex.
    public var dataHash: String
    /// The previous line's hash, hex.
    public var prev: String
    /// SHA-256 of this line's body, hex.
    public var hash: String
    /// The salt, hex; nil when the payload was redacted.
    public var salt: String?
    /// The redaction notice, when the payload was removed at the end of its retention period.
    public var redacted: JSONValue?
    /// The byte range of the body (`{` up to the closing quote of `prev`) within the line.
    public var bodyRange: Range<Int>
    /// The byte range of the stored `data` value within the line.
    public var dataRange: Range<Int>?
}
