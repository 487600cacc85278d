import EventLog

/// A writer's event, parsed and checked against the line format and the catalogue, but not yet against the
/// state of the log (that is `WriteState.check`).
public struct EventInput: Sendable {
    /// What will be stored.
    public var content: RecordContent
    /// Whether the writer supplied the id (only then can a repeat be recognised as a duplicate).
    public var idSupplied: Bool
    /// `occurredAt`, parsed.
    public var occurred: OccurredAt
    /// The catalogue entry.
    public var eventType: EventType
    /// The `data` object.
    public var data: JSONObject
    /// `actor.id`.
    public var actorID: String
    /// `actor.role`.
    public var actorRole: String

    static let ledgerMembers: Set<String> = [
        "seq", "recordedAt", "dataHash", "prev", "hash", "salt",
    ]
    static let writerMembers = [
        "id", "stream", "type", "v", "occurredAt", "actor", "source", "data",
    ]
    package static let earliest = CivilDate(year: 1990, month: 1, day: 1)
    package static let roles = Role.all.sorted()
    static let actorFields: [Field] = [
        .required("id", .reference), .required("role", .oneOf(roles)),
    ]
    package static let sourceFields: [Field] = [
        .required("system", .text), .required("ref", .text), .optional("recordedAt", .text),
    ]

    /// Parses and checks one input line. `makeID` supplies an id when the writer gave none.
    public static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, line: Int, recordedAt: Timestamp, makeID: () -> String
    ) throws(ValidationError) -> EventInput {
        if bytes.count > LineFormat.maxLineBytes {
            throw ValidationError(
                line: line, field: "line", rule: "longer than 1 MiB (\(bytes.count) bytes)")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch {
            throw ValidationError(line: line, field: "line", rule: "malformed JSON: \(error)")
        }
        guard let object = value.objectValue else {
            throw ValidationError(
                line: line, field: "line", rule: "must be a JSON object, not \(value.typeName)")
        }
        return try parse(object, line: line, recordedAt: recordedAt, makeID: makeID)
    }

    /// Checks an already-parsed event object.
    public static func parse(
        _ object: JSONObject, line: Int, recordedAt: Timestamp, makeID: () -> String
    ) throws(ValidationError) -> EventInput {
        var id: String? = nil
        if let value = object["id"] {
            guard let text = value.stringValue, Identifiers.isEventID(text) else {
                throw ValidationError(
                    line: line, field: "id", rule: "must be 1–128 of A-Za-z0-9._:-")
            }
            id = text
        }
        for member in object.members {
            if ledgerMembers.contains(member.key) {
                throw ValidationError(
                    line: line, id: id, field: member.key,
                    rule: "is set by the ledger; a writer must not supply it")
            }
            if !writerMembers.contains(member.key) {
                throw ValidationError(
                    line: line, id: id, field: member.key,
                    rule: "unknown member (known: \(writerMembers.joined(separator: ", ")))")
            }
        }
        return try validate(
            id: id, type: object["type"], stream: object["stream"], version: object["v"],
            occurredAt: object["occurredAt"],
            actor: object["actor"], source: object["source"], data: object["data"], line: line,
            recordedAt: recordedAt,
            makeID: makeID)
    }

    /// Checks a stored record's content as its writer's event would have been checked (`ledger verify`): the same
    /// rules as `parse`, without building the writer's object first.
    public static func validate(_ content: RecordContent, recordedAt: Timestamp)
        throws(ValidationError) -> EventInput
    {
        guard Identifiers.isEventID(content.id) else {
            throw ValidationError(line: 0, field: "id", rule: "must be 1–128 of A-Za-z0-9._:-")
        }
        return try validate(
            id: content.id, type: .string(content.type), stream: .string(content.stream),
            version: .int(content.version),
            occurredAt: .string(content.occurredAt), actor: content.actor, source: content.source,
            data: content.data,
            line: 0, recordedAt: recordedAt
        ) { content.id }
    }

    /// The checks of every writer member but `id`, which the caller has checked.
    private static func validate(
        id: String?, type typeName: JSONValue?, stream streamValue: JSONValue?,
        version versionValue: JSONValue?,
        occurredAt occurredValue: JSONValue?, actor actorValue: JSONValue?,
        source sourceValue: JSONValue?,
        data dataValue: JSONValue?, line: Int, recordedAt: Timestamp, makeID: () -> String
    ) throws(ValidationError) -> EventInput {
        func refuse(_ field: String, _ rule: String) -> ValidationError {
            ValidationError(line: line, id: id, field: field, rule: rule)
        }
        guard let typeName else { throw refuse("type", "is required") }
        guard let typeText = typeName.stringValue else { throw refuse("type", "must be a string") }
        guard let eventType = Catalogue.types[typeText] else {
            throw refuse(
                "type",
                "unknown type \"\(typeText.prefix(60))\" (see the catalogue in docs/EVENTS.md)")
        }
        guard let streamValue else { throw refuse("stream", "is required") }
        guard let stream = streamValue.stringValue else {
            throw refuse("stream", "must be a string")
        }
        guard let kind = StreamName.kind(of: stream) else {
            throw refuse(
                "stream",
                "must be family:<ref>, worker:<id>, system:<id> or org (<ref>/<id>: 1–64 of A-Za-z0-9._-)"
            )
        }
        if !eventType.stream.admits(kind) {
            throw refuse(
                "stream",
                "\(typeText) belongs on a \(eventType.stream.rawValue) stream, not \(stream)")
        }
        var version = 1
        if let value = versionValue {
            guard let number = value.intValue, number >= 1 else {
                throw refuse("v", "must be an integer ≥ 1")
            }
            guard number == 1 else {
                throw refuse("v", "\(typeText) has only data schema version 1")
            }
            version = number
        }
        guard let occurredValue else { throw refuse("occurredAt", "is required") }
        guard let occurredText = occurredValue.stringValue, let occurred = OccurredAt(occurredText)
        else {
            throw refuse("occurredAt", "must be YYYY-MM-DD or an RFC 3339 date-time")
        }
        if let earliest, occurred.date < earliest {
            throw refuse(
                "occurredAt",
                "\(occurredText) is before \(earliest), the earliest date the ledger takes")
        }
        if let instant = occurred.instant {
            if instant > recordedAt {
                throw refuse("occurredAt", "\(occurredText) is after recordedAt \(recordedAt)")
            }
        } else if occurred.date > recordedAt.londonDate {
            throw refuse("occurredAt", "\(occurredText) is after recordedAt \(recordedAt)")
        }
        guard let actorValue else { throw refuse("actor", "is required") }
        guard let actor = actorValue.objectValue else {
            throw refuse("actor", "must be an object {id, role}")
        }
        do {
            try SchemaChecker.checkObject(actor, actorFields, at: "actor")
        } catch { throw refuse(error.field, error.rule) }
        var source: JSONValue? = nil
        if let value = sourceValue {
            guard let sourceObject = value.objectValue else {
                throw refuse("source", "must be an object")
            }
            do {
                try SchemaChecker.checkObject(sourceObject, sourceFields, at: "source")
            } catch { throw refuse(error.field, error.rule) }
            if let text = sourceObject["recordedAt"]?.stringValue, Timestamp(rfc3339: text) == nil {
                throw refuse("source.recordedAt", "must be an RFC 3339 date-time")
            }
            source = value
        }
        guard let dataValue else {
            throw refuse("data", "is required (use {} when there is nothing)")
        }
        guard let data = dataValue.objectValue else { throw refuse("data", "must be an object") }
        do { try SchemaChecker.checkObject(data, eventType.fields, at: "data") } catch {
            throw refuse(error.field, error.rule)
        }
        do { try TypeRules.check(type: typeText, data: data) } catch {
            throw refuse(error.field, error.rule)
        }
        let finalID = id ?? makeID()
        let content = RecordContent(
            id: finalID, stream: stream, type: typeText, version: version, occurredAt: occurredText,
            actor: actorValue,
            source: source, data: dataValue)
        return EventInput(
            content: content, idSupplied: id != nil, occurred: occurred, eventType: eventType,
            data: data,
            actorID: actor["id"]?.stringValue ?? "", actorRole: actor["role"]?.stringValue ?? "")
    }
}

/// Stream names: `family:<ref>`, `worker:<id>`, `system:<id>`, `org`.
public enum StreamName {
    /// The kind of a valid stream name.
    public static func kind(of stream: String) -> StreamKind? {
        if stream == "org" { return .org }
        if stream.hasPrefix("family:"), Identifiers.isReference(String(stream.dropFirst(7))) {
            return .family
        }
        if stream.hasPrefix("worker:"), Identifiers.isReference(String(stream.dropFirst(7))) {
            return .worker
        }
        if stream.hasPrefix("system:"), Identifiers.isReference(String(stream.dropFirst(7))) {
            return .system
        }
        return nil
    }

    /// The `<ref>` of `family:<ref>`, the `<id>` of `worker:<id>` or `system:<id>` (every prefix is 7 bytes).
    public static func key(of stream: String) -> String {
        stream == "org" ? "org" : String(stream.dropFirst(7))
    }
}

/// The reference interpreter of `TypeRule`: what the append path falls back to, and the judge of every
/// refusal message. `TypeRulesInPlace` interprets the same declarations on bytes.
enum TypeRules {
    /// Checks `data` against every rule the catalogue declares for `type`.
    static func check(type: String, data: JSONObject) throws(SchemaViolation) {
        for rule in Catalogue.types[type]?.rules ?? [] { try check(rule, data) }
    }

    static func check(_ rule: TypeRule, _ data: JSONObject) throws(SchemaViolation) {
        switch rule {
        case .wholePolicy:
            let hasProfile = data["profile"] != nil
            let hasPolicy = data["policy"] != nil
            if hasProfile == hasPolicy {
                throw SchemaViolation(
                    field: "data.profile",
                    rule: "give exactly one of profile (a built-in name) or policy (a whole policy)"
                )
            }
            if let object = data["policy"]?.objectValue {
                do { _ = try Policy(json: object, path: "data.policy") } catch {
                    throw SchemaViolation(field: error.field, rule: error.rule)
                }
            }
        case .notEmpty(let names):
            if data.members.isEmpty {
                throw SchemaViolation(
                    field: "data", rule: "give at least one of \(names.joined(separator: ", "))")
            }
        case .ordered(let object, let low, let high):
            if let range = data[object]?.objectValue, let lower = range[low]?.intValue,
                let upper = range[high]?.intValue, lower > upper
            {
                throw SchemaViolation(
                    field: "data.\(object).\(low)", rule: "\(lower) is more than \(high) \(upper)")
            }
        case .datesInOrder(let from, let to):
            if let start = data[from]?.stringValue.flatMap(CivilDate.init),
                let end = data[to]?.stringValue.flatMap(CivilDate.init), end < start
            {
                throw SchemaViolation(
                    field: "data.\(to)", rule: "\(end) is before \(from) \(start)")
            }
        case .childAndUniqueIDs(let list):
            let members = data[list]?.arrayValue ?? []
            if !members.contains(where: { $0.objectValue?["role"]?.stringValue == "child" }) {
                throw SchemaViolation(
                    field: "data.\(list)", rule: "needs at least one member with role child")
            }
            var seen = Set<String>()
            for (index, member) in members.enumerated() {
                if let id = member.objectValue?["id"]?.stringValue, !seen.insert(id).inserted {
                    throw SchemaViolation(
                        field: "data.\(list)[\(index)].id", rule: "\"\(id)\" appears twice")
                }
            }
        case .timeBound(let list):
            for (index, action) in (data[list]?.arrayValue ?? []).enumerated() {
                if let object = action.objectValue, object["due"] == nil, object["everyDays"] == nil
                {
                    throw SchemaViolation(
                        field: "data.\(list)[\(index)]",
                        rule: "needs due or everyDays (plans are SMART: time-bound)")
                }
            }
        case .ufrnShape(let name):
            if let ufrn = data[name]?.stringValue, !UFRN.isWellFormed(ufrn) {
                throw SchemaViolation(
                    field: "data.\(name)",
                    rule: "must be EH + locality (01–07) + child's number + F, e.g. EH03123456F")
            }
        }
    }
}

/// The Unique Family Reference Number (004 §2): `EH` + locality + the youngest child's number + `F`.
public enum UFRN {
    /// Whether `text` has the UFRN shape.
    public static func isWellFormed(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 6, bytes[0] == UInt8(ascii: "E"), bytes[1] == UInt8(ascii: "H"),
            bytes.last == UInt8(ascii: "F"), bytes[2] == UInt8(ascii: "0"),
            (0x31...0x37).contains(bytes[3])
        else { return false }
        return true
    }

    /// The UFRN for a locality and a child's number.
    public static func make(locality: String, childID: String) -> String {
        "EH\(locality)\(childID)F"
    }
}
