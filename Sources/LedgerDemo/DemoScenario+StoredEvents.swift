import EventLog
import LedgerCore
import LedgerEngine

extension DemoScenario {
    /// The scenario as the events of a log, made in memory without a file: the policy `profile` adopted as
    /// event 1, then every entry stored as an append would store it (recorded at 17:30 UTC on its day, salts of
    /// zeros), hash-chained, and read back as a read of the log hands events over, corrections applied. Entries
    /// the contract refuses are left out (the scenario makes none).
    ///
    /// Small scenarios of this kind are what the fold's fingerprint is made from (`LedgerFold.meaning`).
    ///
    /// `then`: events stored after the scenario's, each recorded on the day after the scenario's last (the fold's
    /// fingerprint adds the cases the scenario never makes, recorded late as a correction of the record would be).
    public func storedEvents(
        policy profile: String = "leicestershire-early-help", then extra: [JSONObject] = []
    ) -> [StoredEvent] {
        let salt = String(repeating: "0", count: 32)
        var prev = LineFormat.genesisHash
        var events: [StoredEvent] = []
        func store(_ object: JSONObject, recordedAt: Timestamp) {
            guard
                let input = try? EventInput.parse(
                    object, line: events.count + 1, recordedAt: recordedAt,
                    makeID: { "demo-\(events.count + 1)" })
            else { return }
            let (line, hash) = LineFormat.encode(
                input.content, seq: events.count + 1, recordedAt: recordedAt.rfc3339, prev: prev,
                salt: salt)
            guard let record = try? LineFormat.decode(Array(line.dropLast())),
                let event = StoredEvent(record)
            else {
                return
            }
            prev = hash
            events.append(event)
        }
        let first = sortedEntries.first?.recordedOn ?? today
        store(
            JSONObject([
                JSONMember("id", .string("policy-\(profile)")), JSONMember("stream", "org"),
                JSONMember("type", "policy.adopted"),
                JSONMember("occurredAt", "1990-01-01"),
                JSONMember("actor", ["id": "ledger", "role": "system"]),
                JSONMember("data", ["profile": .string(profile), "effectiveFrom": "1990-01-01"]),
            ]), recordedAt: Timestamp(startOf: first.adding(days: -1)))
        for entry in sortedEntries {
            guard let object = (try? JSONParser.parse(Array(entry.line.utf8)))?.objectValue else {
                continue
            }
            store(
                object,
                recordedAt: Timestamp(
                    seconds: Int64(entry.recordedOn.dayNumber) * 86_400 + 17 * 3600 + 1800))
        }
        let after = (sortedEntries.last?.recordedOn ?? today).adding(days: 1)
        for object in extra {
            store(
                object,
                recordedAt: Timestamp(seconds: Int64(after.dayNumber) * 86_400 + 17 * 3600 + 1800))
        }
        return EventScanner.amended(events)
    }
}
