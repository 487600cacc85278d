import EventLog

/// An event as the projections see it: parsed from a stored line, with any correction already applied.
public struct StoredEvent: Sendable {
    public let seq: Int
    public let id: String
    public let stream: String
    public let type: String
    /// The Europe/London calendar date it happened.
    public let date: CivilDate
    /// `occurredAt` as written.
    public let occurredAt: String
    public let recordedAt: Timestamp
    public let recordedAtText: String
    public let actorID: String
    public let actorRole: String
    /// The payload in force (the latest correction's, if corrected).
    public var data: JSONObject
    /// The corrections and voids that apply to this event, in log order.
    public var amendments: [Amendment] = []
    /// The byte offset of its line in the log (so a second pass can read it back).
    public var offset = -1

    /// The family ref, for family streams.
    public var familyRef: String? { stream.hasPrefix("family:") ? String(stream.dropFirst(7)) : nil }

    /// Whether a void applies.
    public var isVoided: Bool { amendments.contains { $0.kind == .voided } }

    /// Builds an event from a stored record, if its dates parse.
    public init?(_ record: LedgerRecord) {
        guard let occurred = OccurredAt(record.content.occurredAt), let recorded = Timestamp(rfc3339: record.recordedAt)
        else { return nil }
        seq = record.seq
        id = record.content.id
        stream = record.content.stream
        type = record.content.type
        date = occurred.date
        occurredAt = record.content.occurredAt
        recordedAt = recorded
        recordedAtText = record.recordedAt
        let actor = record.content.actor.objectValue
        actorID = actor?["id"]?.stringValue ?? ""
        actorRole = actor?["role"]?.stringValue ?? ""
        data = record.content.data.objectValue ?? JSONObject()
    }
}

/// A correction or void of an event.
public struct Amendment: Sendable, Equatable {
    public enum Kind: String, Sendable { case corrected, voided }
    public let kind: Kind
    /// The correcting event's id and seq.
    public let by: String
    public let seq: Int
    public let date: CivilDate
    public let reason: String
    /// The replacement data (corrections).
    public let data: JSONObject?
    /// The data before this amendment.
    public var original: JSONObject?
}

/// Which events a projection sees: those that occurred by the end of `asOf` and were recorded by `knownAt`.
public struct EventWindow: Sendable {
    public var asOf: CivilDate?
    public var knownAt: Timestamp?

    public init(asOf: CivilDate? = nil, knownAt: Timestamp? = nil) {
        self.asOf = asOf
        self.knownAt = knownAt
    }

    public func includes(date: CivilDate, recordedAt: Timestamp) -> Bool {
        if let asOf, date > asOf { return false }
        if let knownAt, recordedAt > knownAt { return false }
        return true
    }
}

/// The corrections and voids inside a window, by the id of the event they amend.
public struct AmendmentIndex: Sendable {
    let byTarget: [String: [Amendment]]

    /// Applies the amendments of `event`, in log order: corrections replace the data, voids mark it.
    func apply(to event: inout StoredEvent) {
        guard let list = byTarget[event.id] else { return }
        var current = event.data
        var applied: [Amendment] = []
        for var amendment in list {
            amendment.original = current
            if amendment.kind == .corrected, let replacement = amendment.data { current = replacement }
            applied.append(amendment)
        }
        event.data = current
        event.amendments = applied
    }
}

/// Reads a log for the projections: pass 1 gathers the corrections and voids inside the window, pass 2 hands
/// over every event in log order with them applied. Memory holds only the amendments, never the log.
public enum EventScanner {
    /// Calls `body` for every event in the window, in log order, corrections applied. Correction and void
    /// events themselves are handed over too (the timeline shows them); folds skip them.
    public static func scan(
        path: String, window: EventWindow, amendments given: AmendmentIndex? = nil, progress: ((Int) -> Void)? = nil,
        _ body: (StoredEvent) throws -> Void
    ) throws {
        let amendments = try given ?? self.amendments(path: path, window: window)
        try LogReader(path: path).forEachLine { line, position, info in
            guard info.complete, !info.tooLong else { return }
            guard var event = try decode(line, lineNumber: position.lineNumber),
                window.includes(date: event.date, recordedAt: event.recordedAt)
            else { return }
            event.offset = position.offset
            amendments.apply(to: &event)
            if position.lineNumber % 200_000 == 0 { progress?(position.lineNumber) }
            try body(event)
        }
    }

    /// The amendments inside a window (pass 1).
    public static func amendments(path: String, window: EventWindow) throws -> AmendmentIndex {
        AmendmentIndex(byTarget: try collectAmendments(path: path, window: window))
    }

    /// The events whose lines start at `offsets`, amendments applied (a second pass over one family).
    public static func events(path: String, at offsets: [Int], amendments: AmendmentIndex) throws -> [StoredEvent] {
        let reader = try LineReader(path: path)
        return try offsets.compactMap { offset in
            guard let line = try reader.line(at: offset) else { return nil }
            guard var event = try line.withUnsafeBufferPointer({ try decode($0, lineNumber: 0) }) else { return nil }
            event.offset = offset
            amendments.apply(to: &event)
            return event
        }
    }

    static func decode(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int) throws -> StoredEvent? {
        let record: LedgerRecord
        do { record = try LineFormat.decode(line) } catch {
            throw EventLogError.malformedLine(seq: nil, lineNumber: lineNumber, problem: "\(error) (run ledger verify)")
        }
        return StoredEvent(record)
    }

    static func collectAmendments(path: String, window: EventWindow) throws -> [String: [Amendment]] {
        var result: [String: [Amendment]] = [:]
        let marker = Array(#""type":"event."#.utf8)
        try LogReader(path: path).forEachLine { line, _, info in
            guard info.complete, !info.tooLong, contains(line, marker) else { return }
            guard let record = try? LineFormat.decode(line), let event = StoredEvent(record),
                event.type == "event.corrected" || event.type == "event.voided",
                window.includes(date: event.date, recordedAt: event.recordedAt),
                let target = event.data["target"]?.stringValue
            else { return }
            let amendment = Amendment(
                kind: event.type == "event.voided" ? .voided : .corrected, by: event.id, seq: event.seq, date: event.date,
                reason: event.data["reason"]?.stringValue ?? "", data: event.data["data"]?.objectValue)
            result[target, default: []].append(amendment)
        }
        return result
    }

    private static func contains(_ line: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard line.count >= needle.count, let first = needle.first else { return false }
        var index = 0
        let last = line.count - needle.count
        while index <= last {
            if line[index] == first {
                var match = true
                for offset in 1..<needle.count where line[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return true }
            }
            index += 1
        }
        return false
    }
}
