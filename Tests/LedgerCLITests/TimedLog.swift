import EventLog
import LedgerTestSupport
import Testing

/// A log written through the binary at chosen moments (`LEDGER_NOW`), so that the recording times differ as they
/// do in a real service: what a test of `--known-at` and of corrections recorded later needs.
struct TimedLog {
    let directory = TemporaryDirectory()
    let path: String

    /// A new log with `profile` adopted, made at `at`, with the systems `hr` and `dm`.
    init(profile: String, at moment: String) {
        path = directory.file("ledger.jsonl")
        let result = Subprocess.ledger(
            [
                "init", "--log", path, "--policy", profile, "--system", "hr:hr-feed", "--system",
                "dm:data-matching",
            ],
            environment: ["LEDGER_NOW": moment, "LEDGER_SEED": "5"], in: directory)
        #expect(result.status == 0, "init: \(result.stderr)")
    }

    /// Appends `lines` at `at`, all or nothing; a refusal is a test failure.
    func append(
        _ lines: [String], at moment: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let result = Subprocess.ledger(
            ["append", "-", "--log", path],
            environment: ["LEDGER_NOW": moment, "LEDGER_SEED": "5"],
            stdin: lines.joined(separator: "\n") + "\n", in: directory)
        #expect(
            result.status == 0, "append refused: \(result.stderr)", sourceLocation: sourceLocation)
    }

    /// Runs a read command at `at` (with `LEDGER_TRACE` when `trace`).
    func run(_ arguments: [String], at moment: String, trace: Bool = false) -> Subprocess.Result {
        var environment = ["LEDGER_NOW": moment]
        if trace { environment["LEDGER_TRACE"] = "1" }
        return Subprocess.ledger(
            arguments + ["--log", path], environment: environment, in: directory)
    }

    /// The JSON rows a read command prints (`--format json` is added).
    func rows(
        _ arguments: [String], at moment: String, sourceLocation: SourceLocation = #_sourceLocation
    ) -> [JSONObject] {
        let result = run(arguments + ["--format", "json"], at: moment)
        #expect(
            result.status == 0, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        guard let value = try? JSONParser.parse(result.stdout) else {
            Issue.record(
                "\(arguments) printed no JSON: \(result.stdout.prefix(200))",
                sourceLocation: sourceLocation)
            return []
        }
        if let array = value.arrayValue { return array.compactMap(\.objectValue) }
        return value.objectValue.map { [$0] } ?? []
    }

    /// An event line by a worker (`w-017`, FSW) or a manager (`m-001`), or the data-matching system.
    static func event(
        _ id: String, _ family: String, _ type: String, on date: String, by actor: Actor = .worker,
        _ data: JSONValue = [:]
    ) -> String {
        Events.line(
            id: id, stream: "family:\(family)", type: type, on: date, actor: actor.id,
            role: actor.role, data: data)
    }

    enum Actor {
        case worker, manager, system, socialWorker
        var id: String {
            switch self {
            case .worker: "w-017"
            case .manager: "m-001"
            case .system: "dm"
            case .socialWorker: "s-001"
            }
        }
        var role: String {
            switch self {
            case .worker: "fsw"
            case .manager: "team-manager"
            case .system: "system"
            case .socialWorker: "social-worker"
            }
        }
    }

    /// The staff every scenario needs: FSW `w-017`, team manager `m-001`, social worker `s-001`.
    static let staff = Events.staff + [Events.worker("s-001", role: "social-worker")]
}

extension JSONObject {
    /// The member at a dotted path ("progress.education.status"), as text.
    func text(at path: String) -> String? {
        var current: JSONValue? = .object(self)
        for key in path.split(separator: ".") { current = current?.objectValue?[String(key)] }
        guard let current else { return nil }
        return current.stringValue ?? JSONWriter.string(current)
    }
}
