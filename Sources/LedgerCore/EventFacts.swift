import EventLog

/// What the write side's state needs to know about an event to judge it and to record it: its identity, type
/// and stream, when it happened, who recorded it, and its data (read in place from the log, or held in memory).
public struct EventFacts: Sendable {
    /// The event's id. Facts read in place from the log keep where the id lies in the data's chunk and build the
    /// string only when asked (a refusal, a referral or closure the state remembers): a string per event, made on
    /// one core and freed on another, cost a cache miss and a cross-thread free on every line `verify` checked.
    public var id: String {
        get {
            if let idSpan, case .view(let chunk, _) = data.storage {
                return String(decoding: chunk.bytes(idSpan), as: UTF8.self)
            }
            return idText
        }
        set {
            idText = newValue
            idSpan = nil
        }
    }
    private var idText: String
    /// Where the id lies in the data's chunk (facts read in place), else nil and the id is `idText`.
    private var idSpan: Range<Int>?
    /// Whether the writer supplied the id (refusals name it only then).
    public var idSupplied: Bool
    public var stream: String
    /// The stream's kind and its `<ref>` or `<id>` (nil kind: not a valid stream name).
    public var streamKind: StreamKind?
    public var streamKey: String
    public var type: String
    public var kind: EventKind?
    /// The catalogue entry (nil only for a type outside the catalogue, in a damaged log).
    public var eventType: EventType? { kind?.eventType }
    /// The data with its type, to switch on.
    public var typed: TypedData { TypedData(kind: kind, data: data) }

    /// The event a correction or void names (nil for any other event: only these two kinds amend).
    package var amendmentTarget: String? { typed.amendmentTarget }
    /// When it happened (nil when `occurredAt` does not parse, in a damaged log).
    public var occurred: OccurredAt?
    public var actorID: String
    public var actorRole: String
    public var data: EventData

    /// Facts whose stream kind, key and event kind are worked out here (from `stream` and `type`).
    public init(
        id: String, idSupplied: Bool, stream: String, type: String, occurred: OccurredAt?,
        actorID: String, actorRole: String, data: EventData
    ) {
        self.init(
            id: id, idSupplied: idSupplied, stream: stream, streamKind: StreamName.kind(of: stream),
            streamKey: StreamName.key(of: stream), type: type, kind: EventKind(name: type),
            occurred: occurred, actorID: actorID, actorRole: actorRole, data: data)
    }

    /// Facts with everything given (the in-place validation has worked it out from the bytes). `idSpan`: where
    /// the id lies in the chunk of `data` (a view), read from there instead of `id`.
    package init(
        id: String, idSpan: Range<Int>? = nil, idSupplied: Bool, stream: String,
        streamKind: StreamKind?, streamKey: String,
        type: String,
        kind: EventKind?, occurred: OccurredAt?, actorID: String, actorRole: String, data: EventData
    ) {
        idText = id
        self.idSpan = idSpan
        self.idSupplied = idSupplied
        self.stream = stream
        self.streamKind = streamKind
        self.streamKey = streamKey
        self.type = type
        self.kind = kind
        self.occurred = occurred
        self.actorID = actorID
        self.actorRole = actorRole
        self.data = data
    }

    /// The facts of a stored record (replaying the log into the state).
    public init(_ content: RecordContent) {
        let actor = content.actor.objectValue
        self.init(
            id: content.id, idSupplied: true, stream: content.stream, type: content.type,
            occurred: OccurredAt(content.occurredAt),
            actorID: actor?["id"]?.stringValue ?? "", actorRole: actor?["role"]?.stringValue ?? "",
            data: EventData(content.data.objectValue ?? JSONObject()))
    }
}

extension EventInput {
    /// The input's facts, for the write-side state.
    public var facts: EventFacts {
        EventFacts(
            id: content.id, idSupplied: idSupplied, stream: content.stream, type: content.type,
            occurred: occurred, actorID: actorID, actorRole: actorRole, data: EventData(data))
    }
}
