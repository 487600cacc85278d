import EventLog
import LedgerCore
import LedgerEngine

/// `ledger correct EVENT --set FIELD=VALUE … --reason …`: an `event.corrected` that changes only the named fields
/// of an event's data as it now stands (its latest correction applied), the rest kept. A correction replaces the
/// whole `data` (EVENTS.md), so writing one by hand had lost every field not retyped.
enum CorrectCommand {
    static let command = CommandRunner.Command(
        name: "correct", summary: "correct named fields of an event, keeping the rest", help: help,
        run: run)

    static let help = """
        usage: ledger correct EVENT --actor ID --reason TEXT --set FIELD=VALUE [--set …] [--on DATE] [--id ID]
                              [--actor-role ROLE] [--log PATH]

        Records an event.corrected that changes only the named fields of EVENT (its seq, or its id, as the
        timeline shows them) and keeps the rest of its data as it now stands (its latest correction applied).
        FIELD is a path into the event's data: a member (childSeenAlone), a member of an object
        (familyStar.keepingSafe) or of a list's item (members[0].name); VALUE is typed by the catalogue (numbers,
        true/false, a JSON array or object where the field is one). The correction is judged as the event itself
        would be (the role its type needs, every rule of its data).
          ledger correct 57 --set childSeenAlone=true --reason "Seen alone; left out by mistake" --actor w-017
        """

    static func run(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(
            raw, flags: [], known: ["log", "actor", "actor-role", "reason", "set", "on", "id"],
            repeatable: ["set"])
        guard arguments.positionals.count == 1, let event = arguments.positionals.first else {
            throw UsageError(message: "give one EVENT (its seq or its id)")
        }
        guard let actor = arguments.value("actor") else {
            throw UsageError(message: "--actor ID is required")
        }
        guard let reason = arguments.value("reason"), !reason.isEmpty else {
            throw UsageError(message: "--reason TEXT is required (why it is corrected)")
        }
        let sets = arguments.values("set")
        guard !sets.isEmpty else {
            throw UsageError(message: "give at least one --set FIELD=VALUE")
        }
        let path = CommandRunner.logPath(arguments)
        let store = LedgerStore(path: path, environment: try CommandRunner.environment())
        let target = try find(event, in: path)
        guard let eventType = Catalogue.types[target.type] else {
            throw UsageError(
                message: "event \(event) is of type \(target.type), which is not in the catalogue")
        }
        if target.type == "event.corrected" || target.type == "event.voided" {
            throw UsageError(
                message: "event \(event) is itself a \(target.type): correct the original event")
        }
        var data = target.data
        var fields = Set<String>()
        for assignment in sets {
            let field = String(assignment.prefix { $0 != "=" })
            guard fields.insert(field).inserted else {
                throw UsageError(message: "--set \(field) is given twice; give it once")
            }
        }
        for assignment in sets {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw UsageError(message: "--set \(assignment): write FIELD=VALUE")
            }
            let field = String(assignment[..<equals])
            let value = String(assignment[assignment.index(after: equals)...])
            let steps = try steps(of: field)
            data = try set(data, steps[...], value, kind: .object(eventType.fields), field: field)
        }
        let role: String
        if let given = arguments.value("actor-role") {
            role = given
        } else if let registered = try store.registeredRole(
            of: actor, on: arguments.value("on").flatMap { OccurredAt($0)?.date })
        {
            role = registered
        } else {
            throw UsageError(message: "\(actor) is not a registered worker or system")
        }
        var correction = JSONObject()
        if let id = arguments.value("id") { correction["id"] = .string(id) }
        correction["stream"] = .string(target.stream)
        correction["type"] = "event.corrected"
        correction["occurredAt"] = .string(
            arguments.value("on") ?? store.environment.now().londonDate.description)
        correction["actor"] = ["id": .string(actor), "role": .string(role)]
        correction["data"] = [
            "target": .string(target.id), "reason": .string(reason), "data": data,
        ]
        var outcome: AppendOutcome?
        let summary = try store.append(
            .lines([JSONWriter.bytes(.object(correction))]), mode: .atomic
        ) {
            _, result, _ in
            outcome = result
        }
        WriteCommands.reportRecovery(summary)
        return WriteCommands.reportOne(outcome)
    }

    /// The event named by seq or id: its id, type, stream, and its data with its latest correction applied.
    struct Target {
        var id: String
        var type: String
        var stream: String
        var data: JSONValue
    }

    static func find(_ event: String, in path: String) throws -> Target {
        if !LedgerFile(path: path).exists { throw EventLogError.missing(path: path) }
        let seq = Int(event)
        var found: Target?
        var corrected: JSONValue?
        try LogReader(path: path).forEachLine { line, position, info in
            guard info.complete else { return }
            let record = try LineFormat.decodeStored(line, atByte: position.offset)
            let content = record.content
            if found == nil, content.id == event || record.seq == seq {
                guard record.redacted == nil else {
                    throw CommandFailure(
                        message:
                            "refused: event \(event) was redacted: nothing is left of it to correct"
                    )
                }
                found = Target(
                    id: content.id, type: content.type, stream: content.stream, data: content.data)
            } else if let target = found,
                case .eventCorrected(let payload) = TypedData(
                    kind: EventKind(name: content.type),
                    data: EventData(content.data.objectValue ?? JSONObject())),
                let correction = payload.decoded, correction.target == target.id
            {
                corrected = .object(correction.data)
            }
        }
        guard var target = found else {
            throw CommandFailure(
                message:
                    "refused: EVENT: no event \(event) in the log (give its seq or id, as the timeline shows them)"
            )
        }
        if let corrected { target.data = corrected }
        return target
    }

    /// `members[0].name` as the steps `members`, `0`, `name`.
    static func steps(of field: String) throws -> [String] {
        let steps = field.replacing("[", with: ".").replacing("]", with: "")
            .split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !steps.isEmpty, !steps.contains(where: { $0.isEmpty }) else {
            throw UsageError(
                message:
                    "--set \(field): not a path (e.g. familyStar.keepingSafe or members[0].name)")
        }
        return steps
    }

    /// `value` with the path `steps` set to `text`, typed by `kind` (the catalogue's field there).
    static func set(
        _ value: JSONValue, _ steps: ArraySlice<String>, _ text: String, kind: FieldKind,
        field: String
    )
        throws -> JSONValue
    {
        guard let step = steps.first else {
            return try RecordBuilder.typed(text, kind, flag: "set \(field)")
        }
        switch kind {
        case .object(let fields):
            guard let member = fields.first(where: { $0.name == step }) else {
                let known = fields.map(\.name).joined(separator: ", ")
                throw UsageError(
                    message: "--set \(field): no field \(step) here (fields: \(known))")
            }
            var object = value.objectValue ?? JSONObject()
            object[step] = try set(
                object[step] ?? .null, steps.dropFirst(), text, kind: member.kind, field: field)
            return .object(object)
        case .list(let element, _):
            guard let index = Int(step), index >= 0 else {
                throw UsageError(message: "--set \(field): \(step) is not an item's number")
            }
            var items = value.arrayValue ?? []
            guard index <= items.count else {
                throw UsageError(
                    message:
                        "--set \(field): the list has \(items.count) items (add one at [\(items.count)])"
                )
            }
            if index == items.count { items.append(.null) }
            items[index] = try set(
                items[index], steps.dropFirst(), text, kind: element, field: field)
            return .array(items)
        default:
            throw UsageError(
                message: "--set \(field): \(step) is inside a value that has no members")
        }
    }
}
