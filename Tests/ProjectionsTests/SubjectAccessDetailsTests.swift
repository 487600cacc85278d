import EventLog
import LedgerCore
import Testing

@testable import Projections

/// The subject-access page holds everything the record holds: each event's data in words beside its sentence
/// (found by an adversarial run: an assessment's worries, a plan's actions and a closure's summary were only in
/// events.json).
@Suite("Subject access: every member of an event's data, in words")
struct SubjectAccessDetailsTests {
    @Test(
        "nested objects and lists of objects become labelled lines; members are left to 'Your family'"
    )
    func details() throws {
        let data = try #require(
            try JSONParser.parse(
                #"{"outcome":"close","worries":"Sleep","summary":{"impactOnChildren":"Calmer mornings","parentViews":"Helpful"},"actions":[{"id":"a1","what":"School run","everyDays":7}],"childrenSeen":["c1","c2"],"given":true,"members":[{"id":"c1","name":"Ann","role":"child"}]}"#
            ).objectValue)
        #expect(
            SubjectAccessBundle.details(of: data) == [
                "Outcome: close", "Worries: Sleep", "Summary, impact on children: Calmer mornings",
                "Summary, parent views: Helpful", "Actions 1, id: a1",
                "Actions 1, what: School run",
                "Actions 1, every days: 7", "Children seen: c1, c2", "Given: yes",
            ])
    }
}
