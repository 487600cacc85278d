import EventLog
import LedgerCore
import LedgerEngine

/// Builds one event from `ledger record` flags, typing each value by the catalogue.
enum RecordBuilder {
    /// The flags that say where and by whom an event is recorded, not what it says. `--worker`, `--role` and
    /// `--id` are also data fields of some types (`worker.allocated`'s worker, `worker.registered`'s role,
    /// `team.defined`'s id): for a type with such a field the flag sets the field, and the envelope is given as
    /// `--worker-stream`/`--actor-role`/`--event-id`.
    static let envelope: Set<String> = [
        "log", "actor", "actor-role", "role", "family", "worker", "worker-stream", "system",
        "stream", "on", "id", "event-id",
        "data", "org",
    ]

    /// The envelope flags a type's own fields take over.
    static func dataFlags(of eventType: EventType) -> Set<String> {
        Set(eventType.fields.map(\.name)).intersection(["worker", "role", "data", "id"])
    }

    static func build(type: String, arguments: Arguments, store: LedgerStore) throws -> JSONObject {
        guard let eventType = Catalogue.types[type] else {
            throw UsageError(
                message:
                    "unknown type \"\(type)\"; types: \(Catalogue.names.joined(separator: ", "))")
        }
        let owned = dataFlags(of: eventType)
        if arguments.value("worker-stream") != nil, arguments.value("worker") != nil,
            !owned.contains("worker")
        {
            throw UsageError(
                message: "give the worker's stream once: --worker or --worker-stream, not both")
        }
        let workerStream =
            arguments.value("worker-stream")
            ?? (owned.contains("worker") ? nil : arguments.value("worker"))
        let streams = [
            arguments.value("family").map { "family:\($0)" }, workerStream.map { "worker:\($0)" },
            arguments.value("system").map { "system:\($0)" },
            arguments.flags.contains("org") ? "org" : nil,
            arguments.value("stream"),
        ].compactMap { $0 }
        guard streams.count == 1, let stream = streams.first else {
            let worker = owned.contains("worker") ? "--worker-stream ID" : "--worker ID"
            throw UsageError(
                message: "give exactly one of --family REF, \(worker), --system ID, --org")
        }
        guard let actor = arguments.value("actor") else {
            throw UsageError(message: "--actor ID is required")
        }
        let role: String
        if let given = arguments.value("actor-role")
            ?? (owned.contains("role") ? nil : arguments.value("role"))
        {
            role = given
        } else if let registered = try store.registeredRole(
            of: actor, on: arguments.value("on").flatMap { OccurredAt($0)?.date })
        {
            role = registered
        } else {
            throw UsageError(
                message:
                    "\(actor) is not a registered worker or system: register them first (worker.registered, or system.registered / ledger init --system)"
            )
        }
        var data = JSONObject()
        if !owned.contains("data"), let text = arguments.value("data") {
            guard let object = try JSONParser.parse(text).objectValue else {
                throw UsageError(message: "--data must be a JSON object")
            }
            data = object
            // A field given both ways would be set twice, one silently winning: give it once.
            for (name, _) in arguments.options
            where !envelope.contains(name) || owned.contains(name) {
                if let head = name.split(separator: ".").first, object[String(head)] != nil {
                    throw UsageError(
                        message: "--\(name) sets a member --data already gives; give it once")
                }
            }
        }
        // (An option given twice is refused by `Arguments`, for every command.)
        for (name, value) in arguments.options
        where !envelope.contains(name) || owned.contains(name) {
            let path = name.split(separator: ".").map(String.init)
            try set(&data, path: path, value: value, fields: eventType.fields, flag: name)
        }
        let occurred = arguments.value("on") ?? store.environment.now().londonDate.description
        var event = JSONObject()
        if let id = arguments.value("event-id")
            ?? (owned.contains("id") ? nil : arguments.value("id"))
        {
            event["id"] = .string(id)
        }
        event["stream"] = .string(stream)
        event["type"] = .string(type)
        event["occurredAt"] = .string(occurred)
        event["actor"] = ["id": .string(actor), "role": .string(role)]
        event["data"] = .object(data)
        return event
    }

    private static func set(
        _ object: inout JSONObject, path: [String], value: String, fields: [Field], flag: String
    ) throws {
        guard let head = path.first else { return }
        guard let field = fields.first(where: { $0.name == head }) else {
            let known = fields.map { "--\($0.name)" }.joined(separator: ", ")
            throw UsageError(
                message:
                    "--\(flag): this type has no field \(head) (fields: \(known.isEmpty ? "none" : known))"
            )
        }
        if path.count == 1 {
            object[head] = try typed(value, field.kind, flag: flag)
            return
        }
        if case .anyObject = field.kind {
            // A member of an object the catalogue does not describe (a correction's data, judged as its target
            // when appended): a JSON value as written, else text.
            var nested = object[head]?.objectValue ?? JSONObject()
            let name = path.dropFirst().joined(separator: ".")
            nested[name] = (try? JSONParser.parse(value)) ?? .string(value)
            object[head] = .object(nested)
            return
        }
        guard case .object(let inner) = field.kind else {
            throw UsageError(message: "--\(flag): \(head) is not an object")
        }
        var nested = object[head]?.objectValue ?? JSONObject()
        try set(&nested, path: Array(path.dropFirst()), value: value, fields: inner, flag: flag)
        object[head] = .object(nested)
    }

    static func typed(_ text: String, _ kind: FieldKind, flag: String) throws -> JSONValue {
        switch kind {
        case .integer, .number, .numberAbove:
            // A number as JSON writes one (not NaN, Infinity, .5 or +1, which Double reads): it goes into the line.
            guard case .number? = try? JSONParser.parse(text) else {
                throw UsageError(
                    message: "--\(flag) must be a number (e.g. 7 or 0.5), not \"\(text)\"")
            }
            return .number(text)
        case .bool:
            guard text == "true" || text == "false" else {
                throw UsageError(message: "--\(flag) must be true or false")
            }
            return .bool(text == "true")
        case .list(let element, _):
            // A JSON array as it is (a list of objects, such as members or actions); otherwise comma-separated.
            if text.first == "[" {
                guard let value = try? JSONParser.parse(text), value.arrayValue != nil else {
                    throw UsageError(
                        message: "--\(flag) must be a JSON array, or values separated by commas")
                }
                return value
            }
            if case .object = element {
                throw UsageError(
                    message: "--\(flag) is a list of objects: give it as a JSON array ([{…}, …])")
            }
            return .array(
                try text.split(separator: ",").map { try typed(String($0), element, flag: flag) })
        case .textOrList:
            // Text as it is; a JSON array of texts as that list.
            guard text.first == "[" else { return .string(text) }
            guard let value = try? JSONParser.parse(text),
                value.arrayValue?.allSatisfy({ $0.stringValue != nil }) == true
            else {
                throw UsageError(message: "--\(flag) must be text, or a JSON array of texts")
            }
            return value
        case .object, .anyObject:
            guard let value = try? JSONParser.parse(text), value.objectValue != nil else {
                throw UsageError(
                    message:
                        "--\(flag) must be a JSON object (or set its members with --\(flag).NAME)")
            }
            return value
        default:
            return .string(text)
        }
    }

    /// `ledger record TYPE --help`: the type's fields, from the catalogue.
    static func help(for type: String) -> String? {
        guard let eventType = Catalogue.types[type] else { return nil }
        let stream: String
        switch eventType.stream {
        case .family: stream = "--family REF"
        case .worker:
            stream =
                dataFlags(of: eventType).contains("worker") ? "--worker-stream ID" : "--worker ID"
        case .system: stream = "--system ID"
        case .org: stream = "--org"
        case .familyOrOrg: stream = "(--family REF | --org: every family)"
        case .any:
            stream = "(--family REF | --worker ID | --system ID | --org: the target's stream)"
        }
        let id = dataFlags(of: eventType).contains("id") ? "--event-id" : "--id"
        var lines = [
            "usage: ledger record \(type) --actor ID \(stream) [--on DATE] [\(id) ID] [--FIELD VALUE …]"
        ]
        if eventType.managerOnly { lines.append("Needs a manager actor.") }
        lines.append(eventType.fields.isEmpty ? "Fields: none." : "Fields:")
        for field in eventType.fields {
            lines.append(
                "  --\(field.name)\(field.required ? "" : " (optional)"): \(describe(field.kind))")
        }
        if dataFlags(of: eventType).contains("role") {
            lines.append(
                "--role sets data.role; the actor's role (if not their registered one) is --actor-role."
            )
        }
        if dataFlags(of: eventType).contains("id") {
            lines.append("--id sets data.id; the event's own id (if not a new one) is --event-id.")
        }
        if dataFlags(of: eventType).contains("data") {
            lines.append(
                "--data JSON sets data.data (the corrected data); --data.NAME VALUE sets one member of it."
            )
        }
        return lines.joined(separator: "\n")
    }

    private static func describe(_ kind: FieldKind) -> String {
        switch kind {
        case .text: "text"
        case .oneOf(let allowed): "one of \(allowed.joined(separator: ", "))"
        case .date: "a date, YYYY-MM-DD"
        case .bool: "true or false"
        case .integer(let range): "a whole number, \(range.lowerBound)–\(range.upperBound)"
        case .number(let range): "a number, \(range.lowerBound)–\(range.upperBound)"
        case .numberAbove(let low, let high): "a number over \(low), at most \(high)"
        case .reference: "an id (1–64 of A-Za-z0-9._-)"
        case .object(let fields):
            "an object (set members with --NAME.MEMBER: \(fields.map(\.name).joined(separator: ", ")))"
        case .anyObject: "a JSON object"
        case .list(let element, _):
            if case .object = element {
                "a JSON array of objects"
            } else {
                "values separated by commas (\(describe(element)))"
            }
        case .textOrList: "text, or a JSON array of texts"
        case .code(let lengths):
            "a code of \(lengths.lowerBound)–\(lengths.upperBound) capital letters"
        }
    }
}
