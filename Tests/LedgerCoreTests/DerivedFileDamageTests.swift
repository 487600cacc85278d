import EventLog
@testable import LedgerEngine
import LedgerTestSupport
import Testing

@testable import LedgerCore

#if canImport(Glibc)
    import Glibc
#endif

/// A derived file with one bit flipped, at every byte of it, must never change what an append does: the same
/// duplicates found, the same refusals, the same events appended, byte for byte the same log afterwards.
@Suite("Derived files: a flipped bit never gives a wrong answer", .serialized)
struct DerivedFileDamageTests {
    static let now = Timestamp(rfc3339: "2026-11-23T12:00:00Z") ?? Timestamp(seconds: 0)

    /// The lines every damaged run appends (in ingest mode, so each is judged on its own): a repeat of a stored
    /// event, an id already used with other content, a valid new event, an event by a worker who left, an
    /// event on a family with no open episode, a manager's event by an FSW.
    static let probes = [
        Events.line(
            id: "v-1", stream: "family:F-1", type: "visit.completed", on: "2026-02-05",
            data: ["kind": "home"]),
        Events.line(
            id: "v-1", stream: "family:F-1", type: "visit.completed", on: "2026-02-05",
            data: ["kind": "school"]),
        Events.line(
            id: "v-2", stream: "family:F-1", type: "visit.completed", on: "2026-02-09",
            data: ["kind": "home"]),
        Events.line(
            id: "v-3", stream: "family:F-1", type: "visit.completed", on: "2026-02-09",
            actor: "w-030",
            data: ["kind": "home"]),
        Events.line(
            id: "c-1", stream: "family:F-2", type: "contact.attempted", on: "2026-02-09",
            data: ["method": "phone", "outcome": "no-answer"]),
        Events.line(
            id: "a-1", stream: "family:F-1", type: "closure.approved", on: "2026-02-09",
            data: ["reason": "Outcomes met"]),
    ]

    /// A small log with its id index, state base and a state delta, all up to date.
    static func pristine() throws -> TestLedger {
        try WriteStateStore.$compactionBytes.withValue(1 << 20) { try pristineNeverCompacting() }
    }

    static func pristineNeverCompacting() throws -> TestLedger {
        let ledger = try TestLedger()
        try ledger.append(Events.staff + [Events.worker("w-030")])
        try ledger.append([
            Events.line(
                id: "left-w-030", stream: "worker:w-030", type: "worker.left", on: "2026-01-30",
                actor: "m-001",
                role: "team-manager", data: [:])
        ])
        try ledger.append([Events.referral("F-1", on: "2026-02-02")])
        try ledger.append([probes[0]])
        try ledger.append([Events.referral("F-2", on: "2026-01-02")])
        try ledger.append([
            Events.line(
                id: "close-F-2", stream: "family:F-2", type: "case.closed", on: "2026-01-20",
                actor: "m-001",
                role: "team-manager", data: ["reason": "met-outcomes"])
        ])
        return ledger
    }

    /// The outcomes of appending the probes to the log at `path`, and the log's bytes afterwards.
    static func run(_ path: String) throws -> ([AppendOutcome], [UInt8]) {
        let store = LedgerStore(path: path, environment: .deterministic(now: now, seed: 11))
        var outcomes: [AppendOutcome] = []
        try store.append(.lines(probes.map { Array($0.utf8) }), mode: .ingest(batchSize: 100)) {
            _, outcome, _ in
            outcomes.append(outcome)
        }
        return (outcomes, readBytes(path))
    }

    static let derived = [".ids", ".state", ".state-delta"]

    @Test(
        "one bit flipped at every byte of .ids, .state and .state-delta: the same outcomes and the same log"
    )
    func everyBitPosition() throws {
        let ledger = try Self.pristine()
        let originals = ([""] + Self.derived).map { readBytes(ledger.path + $0) }
        for (suffix, bytes) in zip(Self.derived, originals.dropFirst()) {
            try #require(!bytes.isEmpty, "\(suffix) was not written")
        }
        func restore() {
            for (suffix, bytes) in zip([""] + Self.derived, originals) {
                writeBytes(bytes, to: ledger.path + suffix)
            }
        }
        let (expected, expectedLog) = try Self.run(ledger.path)
        #expect(expected.count == Self.probes.count)
        guard expected.count == Self.probes.count else { return }
        // The undamaged answer is the right one: a duplicate, a clash, one appended, three refused.
        if case .duplicate = expected[0] {} else { Issue.record("probe 1: \(expected[0])") }
        if case .appended = expected[2] {} else { Issue.record("probe 3: \(expected[2])") }
        for index in [1, 3, 4, 5] {
            if case .refused = expected[index] {
            } else {
                Issue.record("probe \(index + 1): \(expected[index])")
            }
        }
        var runs = 0
        for (fileIndex, suffix) in Self.derived.enumerated() {
            let size = originals[fileIndex + 1].count
            for position in 0..<size {
                restore()
                var damaged = originals[fileIndex + 1]
                damaged[position] ^= 1 << UInt8(position % 8)
                writeBytes(damaged, to: ledger.path + suffix)
                let (outcomes, log) = try Self.run(ledger.path)
                runs += 1
                if outcomes != expected || log != expectedLog {
                    Issue.record("\(suffix) byte \(position) bit \(position % 8): \(outcomes)")
                    return
                }
            }
        }
        print("derived-file damage: \(runs) runs, every one the same as the undamaged answer")
    }

    @Test(
        "compaction killed between the new base and the new delta: the old delta is not applied again"
    )
    func compactionCutBetweenSteps() throws {
        try WriteStateStore.$compactionBytes.withValue(1 << 20) {
            try compactionCutBetweenStepsNeverCompacting()
        }
    }

    func compactionCutBetweenStepsNeverCompacting() throws {
        let ledger = try TestLedger()
        try ledger.append(Events.staff)
        try ledger.append([Events.referral("F-1", on: "2026-02-02")])
        try ledger.append([
            Events.line(
                id: "v-1", stream: "family:F-1", type: "visit.completed", on: "2026-02-05",
                data: ["kind": "home"])
        ])
        // The delta holds F-1's two events. Compact now, then put the old delta back, as a crash after the
        // base's rename and before the delta was started anew would leave it.
        let oldDelta = readBytes(ledger.path + ".state-delta")
        let oldBase = readBytes(ledger.path + ".state")
        try WriteStateStore.$compactionBytes.withValue(0) {
            _ = try ledger.append([Events.worker("w-040")])
        }
        let compacted = readBytes(ledger.path + ".state") != oldBase
        #expect(compacted, "the append wrote a new base")
        writeBytes(oldDelta, to: ledger.path + ".state-delta")
        let next = Events.line(
            id: "v-2", stream: "family:F-1", type: "visit.completed", on: "2026-02-06",
            data: ["kind": "home"])
        let wrong = try ledger.append([next], expectVersion: 4)
        guard case .refused(let error) = wrong.first else {
            Issue.record("--expect-version 4 was accepted for a family with 2 events: \(wrong)")
            return
        }
        #expect(error.rule.contains("has 2 events"), "\(error)")
        let right = try ledger.append([next], expectVersion: 2)
        if case .appended = right.first {
        } else {
            Issue.record("--expect-version 2 refused: \(right)")
        }
    }
}
