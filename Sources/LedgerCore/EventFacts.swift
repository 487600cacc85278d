import EventLog

/// What the write side's state needs to know about an event to judge it and to record it: its identity, type
/// and stream, when it happened, who recorded it, and its data (read in place from the log, or held in memory).
public struct EventFacts: Sendable {
    public var id: String
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

    /// Facts with everything given (the in-place validation has worked it out from the bytes).
    package init(
        id: String, idSupplied: Bool, stream: String, streamKind: StreamKind?, streamKey: String,
        type: String,
        kind: EventKind?, occurred: OccurredAt?, actorID: String, actorRole: String, data: EventData
    ) {
        self.id = id
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
