import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
import LedgerTestSupport
import Projections
import Testing

/// One event of a test scenario on family F-1 (or another family).
struct E: Sendable {
    var type: String
    var date: String
    var data: JSONValue
    var manager: Bool
    var family: String
    var id: String?
    /// Another actor than the FSW w-017 or the team manager m-001: `c-001`, an fs-coordinator.
    var coordinator: Bool

    init(
        _ type: String, _ date: String, _ data: JSONValue = [:], manager: Bool = false,
        family: String = "F-1", id: String? = nil, coordinator: Bool = false
    ) {
        self.type = type
        self.date = date
        self.data = data
        self.manager = manager
        self.family = family
        self.id = id
        self.coordinator = coordinator
    }
}

/// A scenario: a log made through the real append path, read back through the scanner into the fold.
struct Scenario {
    let ledger: TestLedger

    init(
        profile: String, referredOn: String = "2026-03-02", referral: JSONValue? = nil,
        _ events: [E], extraWorkers: [String] = [], then later: [String] = [],
        now: String = "2026-11-23T12:00:00Z"
    ) throws {
        ledger = try TestLedger(profile: profile, now: now)
        var lines = Events.staff + [Events.worker("w-018", on: "2025-01-06")] + extraWorkers
        // (Registered only where a scenario needs them: other scenarios' seqs stay as they are.)
        if events.contains(where: \.coordinator) {
            lines.append(Events.worker("c-001", role: "fs-coordinator", on: "2025-01-06"))
        }
        if let referral {
            lines.append(
                Events.line(
                    id: "ref-F-1", stream: "family:F-1", type: "referral.received", on: referredOn,
                    actor: "m-001", role: "team-manager", data: referral))
        } else {
            lines.append(Events.referral("F-1", id: "ref-F-1", on: referredOn))
        }
        for (index, event) in events.enumerated() {
            lines.append(
                Events.line(
                    id: event.id ?? "e\(index + 1)", stream: "family:\(event.family)",
                    type: event.type, on: event.date,
                    actor: event.coordinator ? "c-001" : event.manager ? "m-001" : "w-017",
                    role: event.coordinator
                        ? "fs-coordinator" : event.manager ? "team-manager" : "fsw",
                    data: event.data))
        }
        let outcomes = try ledger.append(lines + later)
        for outcome in outcomes {
            if case .refused(let error) = outcome {
                Issue.record("scenario event refused: \(error)")
            }
        }
    }

    func fold(_ window: EventWindow = EventWindow()) throws -> LedgerFold {
        try LedgerFold.scan(path: ledger.path, window: window, shards: 1).fold
    }

    func reports(asOf: String, knownAt: String? = nil) throws -> Reports {
        let date = try #require(CivilDate(asOf))
        let window = EventWindow(asOf: date, knownAt: knownAt.flatMap { Timestamp(rfc3339: $0) })
        return Reports(fold: try fold(window), asOf: date)
    }

    /// The due rows of one rule.
    func due(_ rule: String, asOf: String) throws -> [JSONObject] {
        try reports(asOf: asOf).due().filter { $0["rule"]?.stringValue == rule }
    }
}

extension JSONObject {
    func text(_ key: String) -> String? { self[key].map(RowWriter.cellText) }
}
