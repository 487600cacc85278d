import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
import LedgerTestSupport
import Projections
import Testing

/// A policy's flags are data: the re-referral window is the flag's own `within`, not a number in the fold. The
/// families projection's `reReferral` column stays the spec's 12 weeks in every profile (PROJECTIONS.md).
@Suite("Policy flags read their parameters from the policy")
struct PolicyFlagTests {
    /// Strengthening Families with its re-referral flag's window set to `window`, adopted from 1990-01-02.
    static func ledger(window: String, reReferredOn: String) throws -> TestLedger {
        let ledger = try TestLedger(profile: "strengthening-families")
        let document = try #require(PolicyProfiles.document("strengthening-families"))
        #expect(document.contains(#""within": "12 weeks""#))
        let text = document.replacing(#""within": "12 weeks""#, with: #""within": "\#(window)""#)
        let policy = try #require(try JSONParser.parse(Array(text.utf8)).objectValue)
        try ledger.append(Events.staff)
        let rest = try ledger.append([
            JSONWriter.string(
                .object(
                    JSONObject([
                        JSONMember("id", "custom-policy"), JSONMember("stream", "org"),
                        JSONMember("type", "policy.adopted"),
                        JSONMember("occurredAt", "2026-01-01"),
                        JSONMember("actor", ["id": "m-001", "role": "team-manager"]),
                        JSONMember(
                            "data", ["policy": .object(policy), "effectiveFrom": "1990-01-02"]),
                    ]))),
            Events.referral("F-1", id: "ref-1", on: "2026-02-02"),
            Events.line(
                id: "close-1", stream: "family:F-1", type: "case.closed", on: "2026-03-20",
                actor: "m-001",
                role: "team-manager", data: ["reason": "met-outcomes"]),
            Events.referral("F-1", id: "ref-2", on: reReferredOn),
        ])
        for outcome in rest {
            if case .refused(let error) = outcome { Issue.record("refused: \(error)") }
        }
        return ledger
    }

    static func flags(_ ledger: TestLedger) throws -> [JSONObject] {
        var fold = LedgerFold()
        try EventScanner.scan(path: ledger.path, window: EventWindow()) { fold.apply($0) }
        let asOf = try #require(CivilDate("2026-06-01"))
        return Reports(fold: fold, asOf: asOf).due().filter {
            $0["rule"]?.stringValue == "re-referral"
        }
    }

    static func reReferral(_ ledger: TestLedger) throws -> Bool? {
        var fold = LedgerFold()
        try EventScanner.scan(path: ledger.path, window: EventWindow()) { fold.apply($0) }
        let asOf = try #require(CivilDate("2026-06-01"))
        return Reports(fold: fold, asOf: asOf).families().first?["reReferral"]?.boolValue
    }

    @Test("a 4-week window: a referral 3 weeks after closure is flagged, one 6 weeks after is not")
    func window() throws {
        let soon = try Self.ledger(window: "4 weeks", reReferredOn: "2026-04-10")
        let flagged = try Self.flags(soon)
        #expect(flagged.count == 1)
        #expect(flagged.first?["status"]?.stringValue == "breached")
        #expect(
            flagged.first?["detail"]?.stringValue
                == "re-referred within 4 weeks of the last closure")
        let later = try Self.ledger(window: "4 weeks", reReferredOn: "2026-05-01")
        #expect(try Self.flags(later).isEmpty)
        // The families column is the contract's 12 weeks whatever the flag says.
        #expect(try Self.reReferral(later) == true)
    }

    @Test("a 10-week window flags what 4 weeks does not")
    func widerWindow() throws {
        let ledger = try Self.ledger(window: "10 weeks", reReferredOn: "2026-05-01")
        #expect(try Self.flags(ledger).count == 1)
    }

    @Test("a re-referral flag without a window is refused, naming the member")
    func windowRequired() throws {
        let document = try #require(PolicyProfiles.document("strengthening-families"))
        let text = document.replacing(#""within": "12 weeks", "#, with: "")
        #expect(text != document)
        let object = try #require(try JSONParser.parse(Array(text.utf8)).objectValue)
        let error = #expect(throws: PolicyError.self) { try Policy(json: object) }
        #expect(error?.field == "policy.flags[0].within", "\(String(describing: error))")
    }
}
