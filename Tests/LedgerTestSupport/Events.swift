import EventLog
import LedgerCore
import LedgerEngine

/// Builders for valid events, so tests state only what they are about.
public enum Events {
    /// An event line as JSON text.
    public static func line(
        id: String? = nil, stream: String, type: String, on date: String, actor: String = "w-017",
        role: String = "fsw",
        data: JSONValue = [:]
    ) -> String {
        var object = JSONObject()
        if let id { object["id"] = .string(id) }
        object["stream"] = .string(stream)
        object["type"] = .string(type)
        object["occurredAt"] = .string(date)
        object["actor"] = ["id": .string(actor), "role": .string(role)]
        object["data"] = data
        return JSONWriter.string(.object(object))
    }

    /// Registers a worker (recorded by the HR system).
    public static func worker(
        _ id: String, role: String = "fsw", team: String = "north", fte: String = "1",
        on date: String = "2025-01-06"
    )
        -> String
    {
        line(
            id: "reg-\(id)", stream: "worker:\(id)", type: "worker.registered", on: date,
            actor: "hr", role: "system",
            data: [
                "name": .string("Worker \(id)"), "role": .string(role), "team": .string(team),
                "fte": .number(fte),
            ])
    }

    /// A referral for family `ref` with one child (and a parent).
    public static func referral(
        _ ref: String, id: String? = nil, on date: String, childID: String = "123456",
        childDOB: String = "2015-04-01",
        criteria: [String]? = nil
    ) -> String {
        let members: JSONValue = [
            ["id": .string(childID), "name": "Megan", "dob": .string(childDOB), "role": "child"],
            ["id": .string("p-\(ref)"), "name": "Parent", "role": "parent"],
        ]
        var data = JSONObject([
            JSONMember("source", "school"),
            JSONMember("reason", "Attendance and behaviour at home"),
            JSONMember("members", members),
        ])
        if let criteria { data["criteria"] = .array(criteria.map { .string($0) }) }
        return line(
            id: id ?? "ref-\(ref)-\(date)", stream: "family:\(ref)", type: "referral.received",
            on: date,
            actor: "m-001", role: "team-manager", data: .object(data))
    }

    /// A Family Star with the same score in every domain, except the overrides.
    public static func star(_ score: Int, _ overrides: [String: Int] = [:]) -> JSONValue {
        .object(
            JSONObject(
                FamilyStar.domains.map { JSONMember($0, .number(String(overrides[$0] ?? score))) }))
    }

    /// The registrations `TestLedger` makes at `init` (the HR feed `hr`, data matching `dm`), as lines recorded by
    /// the ledger itself: for logs written without `LedgerStore.initialize` (`RawLog`).
    public static let systems = [("hr", "hr-feed"), ("dm", "data-matching")].map { id, purpose in
        line(
            id: "system-registered-\(id)", stream: "system:\(id)", type: "system.registered",
            on: "2026-01-01",
            actor: "ledger", role: "system",
            data: ["name": .string(id), "purpose": .string(purpose)])
    }

    /// The opening lines every test log needs: an FSW `w-017`, a team manager `m-001`.
    public static let staff = [worker("w-017"), worker("m-001", role: "team-manager")]
}

/// Logs written line by line through the line format alone, bypassing validation: how tests make a log whose
/// chain is intact but whose events the contract would refuse (what `ledger verify` must still catch).
public enum RawLog {
    /// Writes `events` (JSON writer objects) as stored lines with seq, recordedAt, hashes and salts.
    public static func write(
        _ events: [String], recordedAt: String = "2026-11-23T12:00:00Z", to path: String
    ) throws {
        var bytes: [UInt8] = []
        var prev = LineFormat.genesisHash
        for (index, text) in events.enumerated() {
            guard let object = try JSONParser.parse(text).objectValue else {
                throw RawLogError.notAnObject(text)
            }
            let content = RecordContent(
                id: object["id"]?.stringValue ?? "raw-\(index + 1)",
                stream: object["stream"]?.stringValue ?? "",
                type: object["type"]?.stringValue ?? "",
                occurredAt: object["occurredAt"]?.stringValue ?? "",
                actor: object["actor"] ?? [:], source: object["source"], data: object["data"] ?? [:]
            )
            let salt = String(repeating: String(index % 10), count: 32)
            let (line, hash) = LineFormat.encode(
                content, seq: index + 1, recordedAt: recordedAt, prev: prev, salt: salt)
            bytes += line
            prev = hash
        }
        writeBytes(bytes, to: path)
    }

    enum RawLogError: Error { case notAnObject(String) }
}
