import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// `member` objects' optional `gender` and `ethnicity` (EVENTS.md §3), for statutory returns: the reference and the
/// in-place validator agree on them.
@Suite("Members' gender and ethnicity")
struct MemberDemographicsTests {
    static func referral(_ extra: String) -> String {
        #"{"id":"e","stream":"family:F-1","type":"referral.received","occurredAt":"2026-02-02","actor":{"id":"m-001","role":"team-manager"},"data":{"source":"self","reason":"r","members":[{"id":"c1","name":"A","role":"child"\#(extra)}]}}"#
    }

    static let acceptedValues = [
        "", #","gender":"female""#, #","gender":"unknown","ethnicity":"WBRI""#,
        #","ethnicity":"MWBC""#,
        #","ethnicity":"AB""#, #","gender":"other","ethnicity":"NOBT""#,
    ]

    static let refusedValues = [
        (#","gender":"f""#, "data.members[0].gender"),
        (#","gender":"Female""#, "data.members[0].gender"),
        (#","ethnicity":"W""#, "data.members[0].ethnicity"),
        (#","ethnicity":"WBRIX""#, "data.members[0].ethnicity"),
        (#","ethnicity":"wbri""#, "data.members[0].ethnicity"),
        (#","ethnicity":"WB1""#, "data.members[0].ethnicity"),
        (#","ethnicity":3"#, "data.members[0].ethnicity"),
    ]

    @Test("accepted by both validators, with the same facts", arguments: acceptedValues)
    func accepted(extra: String) throws {
        let bytes = InPlaceValidationTests.stored(Self.referral(extra))
        let reference = try #require(InPlaceValidationTests.reference(bytes), "refused: \(extra)")
        #expect(InPlaceValidationTests.inPlace(bytes) == reference)
    }

    @Test(
        "refused by the reference naming the field, and never passed in place",
        arguments: refusedValues)
    func refused(extra: String, field: String) throws {
        let bytes = InPlaceValidationTests.stored(Self.referral(extra))
        #expect(InPlaceValidationTests.reference(bytes) == nil)
        #expect(InPlaceValidationTests.inPlace(bytes) == .declined)
        let ledger = try TestLedger()
        try ledger.append(Events.staff)
        let refusal = try #require(try ledger.refusal(Self.referral(extra)))
        #expect(refusal.field == field, "\(refusal)")
    }
}
