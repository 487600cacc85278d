import EventLog
import LedgerCore

/// Builds one event from `ledger record` flags, typing each value by the catalogue.
enum RecordBuilder {
    static let reserved: Set<String> = ["log", "actor", "role", "family", "worker", "stream", "on", "id", "data", "org"]

    static func build(type: String, arguments: Arguments, store: LedgerStore) throws -> JSONObject {
        guard let eventType = Catalogue.types[type] else {
            throw UsageError(message: "unknown type \"\(type)\"; types: \(Catalogue.names.joined(separator: ", "))")
        }
        let streams = [arguments.value("family").map { "family:\($0)" }, arguments.value("worker").map { "worker:\($0)" },
            arguments.flags.contains("org") ? "org" : nil, arguments.value("stream")].compactMap { $0 }
        guard streams.count == 1, let stream = streams.first else {
            throw UsageError(message: "give exactly one of --family REF, --worker ID, --org")
        }
        guard let actor = arguments.value("actor") else { throw UsageError(message: "--actor ID is required") }
        let role: String
        if let given = arguments.value("role") {
            role = given
        } else if let registered = try store.registeredRole(of: actor) {
            role = registered
        } else {
            throw UsageError(
                message: "\(actor) is not a registered worker or system: register them first (worker.registered, or system.registered / ledger init --system)")
        }
        var data = JSONObject()
        if let text = arguments.value("data") {
            guard let object = try JSONParser.parse(text).objectValue else {
                throw UsageError(message: "--data must be a JSON object")
            }
            data = object
        }
        for (name, value) in arguments.options where !reserved.contains(name) {
            let path = name.split(separator: ".").map(String.init)
            try set(&data, path: path, value: value, fields: eventType.fields, flag: name)
        }
        let occurred = arguments.value("on") ?? store.environment.now().londonDate.description
        var event = JSONObject()
        if let id = arguments.value("id") { event["id"] = .string(id) }
        event["stream"] = .string(stream)
        event["type"] = .string(type)
        event["occurredAt"] = .string(occurred)
        event["actor"] = ["id": .string(actor), "role": .string(role)]
        event["data"] = .object(data)
        return event
    }

    private static func set(_ object: inout JSONObject, path: [String], value: String, fields: [Field], flag: String) throws {
        guard let head = path.first else { return }
        guard let field = fields.first(where: { $0.name == head }) else {
            let known = fields.map { "--\($0.name)" }.joined(separator: ", ")
            throw UsageError(message: "--\(flag): this type has no field \(head) (fields: \(known.isEmpty ? "none" : known))")
        }
        if path.count == 1 {
            object[head] = try typed(value, field.kind, flag: flag)
            return
        }
        guard case .object(let inner) = field.kind else {
            throw UsageError(message: "--\(flag): \(head) is not an object")
        }
        var nested = object[head]?.objectValue ?? JSONObject()
        try set(&nested, path: Array(path.dropFirst()), value: value, fields: inner, flag: flag)
        object[head] = .object(nested)
    }

    private static func typed(_ text: String, _ kind: FieldKind, flag: String) throws -> JSONValue {
        switch kind {
        case .integer, .number, .numberAbove:
            guard Double(text) != nil else { throw UsageError(message: "--\(flag) must be a number, not \"\(text)\"") }
            return .number(text)
        case .bool:
            guard text == "true" || text == "false" else { throw UsageError(message: "--\(flag) must be true or false") }
            return .bool(text == "true")
        case .list(let element, _):
            return .array(try text.split(separator: ",").map { try typed(String($0), element, flag: flag) })
        case .object, .anyObject:
            guard let value = try? JSONParser.parse(text), value.objectValue != nil else {
                throw UsageError(message: "--\(flag) must be a JSON object (or set its members with --\(flag).NAME)")
            }
            return value
        default:
            return .string(text)
        }
    }
}
