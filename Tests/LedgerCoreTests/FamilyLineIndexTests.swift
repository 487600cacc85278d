import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

/// The index of the families' lines, made over a log: an index made for a few families (`only`, as the fold's
/// refolding makes one) holds exactly their lines, the same as the whole index's, and no other family's.
@Suite("The families' line index")
struct FamilyLineIndexTests {
    @Test("made for some families only: their lines as the whole index has them, and no others")
    func onlySomeFamilies() throws {
        let ledger = try TestLedger()
        try ledger.append(Events.staff)
        for ref in ["F-1", "F-2", "F-3"] {
            try ledger.append([Events.referral(ref, on: "2026-02-02", childID: "c-\(ref)")])
        }
        for (index, ref) in ["F-2", "F-1", "F-2", "F-3"].enumerated() {
            try ledger.append([
                Events.line(
                    id: "v-\(index)", stream: "family:\(ref)", type: "visit.completed",
                    on: "2026-02-0\(index + 3)", data: ["kind": "home"])
            ])
        }
        let end = try #require(FileOutput.size(ledger.path))
        var whole = FamilyLineIndex()
        try whole.extend(path: ledger.path, to: end, seq: 0)
        var some = FamilyLineIndex()
        try some.extend(
            path: ledger.path, to: end, seq: 0,
            only: Set(["F-1", "F-3"].map(FamilyLineIndex.route(ofFamily:))))
        for ref in ["F-1", "F-3"] {
            let lines = try #require(whole.lines(ofFamily: ref))
            #expect(lines.count == 2, "\(ref)")
            #expect(some.lines(ofFamily: ref) == lines, "\(ref)")
        }
        #expect(whole.lines(ofFamily: "F-2")?.count == 3)
        #expect(some.lines(ofFamily: "F-2") == nil)
        #expect(some.familyCount == 2 && whole.familyCount == 3)
    }
}
