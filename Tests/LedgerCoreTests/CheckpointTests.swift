import EventLog
@testable import LedgerEngine
import LedgerTestSupport
import Testing

@testable import LedgerCore

@Suite("Write-state checkpoint", .serialized)
struct CheckpointTests {
    static func state(of ledger: TestLedger) throws -> WriteState {
        try ledger.store.file.withLock { locked in
            try LedgerStore.loadState(locked: locked, index: try IdIndex.open(for: locked))
        }
    }

    @Test("base + delta (compacted along the way) equals a replay of the log from scratch")
    func checkpointEqualsReplay() throws {
        try WriteStateStore.$compactionBytes.withValue(700) {
            try checkpointEqualsReplayCompacting()
        }
    }

    func checkpointEqualsReplayCompacting() throws {
        let ledger = try TestLedger(profile: "leicestershire-early-help")
        try ledger.append(Events.staff)
        for index in 0..<12 {
            let ref = "F-\(index)"
            try ledger.append([Events.referral(ref, on: "2026-02-02", childID: "c\(index)")])
            try ledger.append([
                Events.line(
                    id: "add-\(ref)", stream: "family:\(ref)", type: "family.member.added",
                    on: "2026-02-03",
                    data: [
                        "member": [
                            "id": .string("b\(index)"), "name": "Baby", "dob": "2026-01-20",
                            "role": "child",
                        ]
                    ])
            ])
            if index % 3 == 0 {
                try ledger.append([
                    Events.line(
                        id: "close-\(ref)", stream: "family:\(ref)", type: "case.closed",
                        on: "2026-03-02",
                        actor: "m-001", role: "team-manager", data: ["reason": "met-outcomes"])
                ])
            }
        }
        try ledger.append([Events.worker("w-020", on: "2026-03-01")])
        let checkpointed = try Self.state(of: ledger)
        #expect(checkpointed.base != nil, "the state came from the checkpoint")
        for suffix in [".state", ".state-delta"] { writeBytes([], to: ledger.path + suffix) }
        let replayed = try Self.state(of: ledger)
        #expect(replayed.base == nil)
        // org, 2 systems, 3 workers, 12 families
        #expect(replayed.streamCounts.count == 1 + 2 + 3 + 12)
        for (stream, count) in replayed.streamCounts {
            #expect(checkpointed.count(of: stream) == count, "\(stream)")
            let key = StreamName.key(of: stream)
            #expect(checkpointed.family(key) == replayed.family(key), "\(stream)")
            #expect(checkpointed.worker(key) == replayed.worker(key), "\(stream)")
        }
        #expect(checkpointed.adoptions == replayed.adoptions)
        // The baby is the youngest child now: the UFRN must use their number.
        #expect(
            try ledger.refusal(
                Events.line(
                    id: "u-1", stream: "family:F-1", type: "ufrn.assigned", on: "2026-02-05",
                    data: ["ufrn": "EH03b1F", "locality": "03"])) == nil)
    }

    @Test("the base's workers and systems, read once, are what a search of its bytes finds")
    func baseActorsMatchSearch() throws {
        try WriteStateStore.$compactionBytes.withValue(0) {
            try baseActorsMatchSearchAlwaysCompacting()
        }
    }

    func baseActorsMatchSearchAlwaysCompacting() throws {
        let ledger = try TestLedger(profile: "leicestershire-early-help")
        try ledger.append(
            Events.staff + [
                Events.worker("w-020"), Events.worker("w-0201"),
                Events.worker("m-002", role: "team-manager"),
            ])
        try ledger.append([Events.referral("F-1", on: "2026-02-02")])
        try ledger.append([
            Events.line(
                id: "left-w-020", stream: "worker:w-020", type: "worker.left", on: "2026-03-01",
                actor: "hr", role: "system", data: ["reason": "Moved"])
        ])
        let base = try #require(try Self.state(of: ledger).base)
        let streams = base.allStreams()
        #expect(streams.contains("worker:w-020") && streams.contains("system:hr"))
        // Every stream's key as either kind, and keys that sort between, before and after them.
        let keys =
            streams.map { StreamName.key(of: $0) } + ["", "w", "w-02", "w-0200", "hr-", "zzz"]
        for key in keys {
            #expect(base.worker(key) == base.record("worker:" + key)?.worker, "\(key)")
            #expect(base.system(key) == base.record("system:" + key)?.system, "\(key)")
        }
        // With each registration's seqs, and each role's span and date (a correction is judged at its target's
        // place, a role on the event's date).
        let registered = try #require(CivilDate("2025-01-06"))
        #expect(
            base.worker("w-020")
                == WriteState.Worker(
                    role: "fsw", left: true,
                    periods: [WriteState.Period(from: 6, until: 10)],
                    roles: [WriteState.RoleSpan(from: 6, role: "fsw", on: registered)]))
        #expect(
            base.worker("m-002")
                == WriteState.Worker(
                    role: "team-manager", left: false,
                    periods: [WriteState.Period(from: 8)],
                    roles: [WriteState.RoleSpan(from: 8, role: "team-manager", on: registered)]))
        let hr = try #require(base.system("hr"))
        #expect(!hr.retired && hr.purpose == "hr-feed" && hr.firstHRAct == hr.firstAct)
        #expect(hr.firstActID == "reg-w-017")
        #expect(base.worker("hr") == nil && base.system("w-017") == nil)
    }

    @Test("a delta block cut short is ignored and the log's tail replayed")
    func tornDelta() throws {
        let ledger = try TestLedger()
        try ledger.append(Events.staff)
        try ledger.append([Events.referral("F-1", on: "2026-02-02")])
        let delta = ledger.path + ".state-delta"
        writeBytes(readBytes(delta) + Array("family:F-1\t9\tF\t0".utf8), to: delta)
        let state = try Self.state(of: ledger)
        #expect(state.family("F-1")?.open == true)
        #expect(state.count(of: "family:F-1") == 1)
    }
}
