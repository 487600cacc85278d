import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

/// EVENTS.md, refusals: "an `id` already in the log with different content (the same content again is a duplicate:
/// skipped, reported, not an error)". A system that sends an event again after re-serialising it (its members in
/// another order, another escape, another spelling of a number) sends the same content.
@Suite("Duplicates: the same content, however it is written")
struct DuplicateContentTests {
    static let registration =
        #"{"id":"reg-w-2","stream":"worker:w-2","type":"worker.registered","occurredAt":"2025-01-06","actor":{"id":"hr","role":"system"},"data":{"name":"Ann Lee","role":"fsw","team":"north","fte":0.5}}"#

    static func ledger() throws -> TestLedger {
        let ledger = try TestLedger()
        try ledger.append(Events.staff + [registration])
        return ledger
    }

    @Test(
        "the same event re-serialised is a duplicate, skipped",
        arguments: [
            (
                "data members reordered",
                #"{"id":"reg-w-2","stream":"worker:w-2","type":"worker.registered","occurredAt":"2025-01-06","actor":{"id":"hr","role":"system"},"data":{"fte":0.5,"team":"north","role":"fsw","name":"Ann Lee"}}"#
            ),
            (
                "envelope reordered",
                #"{"data":{"name":"Ann Lee","role":"fsw","team":"north","fte":0.5},"actor":{"role":"system","id":"hr"},"occurredAt":"2025-01-06","type":"worker.registered","stream":"worker:w-2","id":"reg-w-2"}"#
            ),
            (
                "another escape and spelling of the number",
                #"{"id":"reg-w-2","stream":"worker:w-2","type":"worker.registered","occurredAt":"2025-01-06","actor":{"id":"hr","role":"system"},"data":{"name":"Ann\u0020Lee","role":"fsw","team":"north","fte":5e-1}}"#
            ),
        ])
    func sameContent(what: String, line: String) throws {
        let ledger = try Self.ledger()
        let before = readBytes(ledger.path)
        let outcomes = try ledger.append([line])
        #expect(outcomes == [.duplicate(seq: 6, id: "reg-w-2")], "\(what)")
        #expect(readBytes(ledger.path) == before)
    }

    @Test(
        "different content under the same id is refused, naming the seq",
        arguments: [
            (
                "a value changed",
                #"{"id":"reg-w-2","stream":"worker:w-2","type":"worker.registered","occurredAt":"2025-01-06","actor":{"id":"hr","role":"system"},"data":{"fte":0.6,"team":"north","role":"fsw","name":"Ann Lee"}}"#
            ),
            (
                "another day",
                #"{"id":"reg-w-2","stream":"worker:w-2","type":"worker.registered","occurredAt":"2025-01-07","actor":{"id":"hr","role":"system"},"data":{"name":"Ann Lee","role":"fsw","team":"north","fte":0.5}}"#
            ),
            (
                "a name spelled otherwise",
                #"{"id":"reg-w-2","stream":"worker:w-2","type":"worker.registered","occurredAt":"2025-01-06","actor":{"id":"hr","role":"system"},"data":{"name":"Anne Lee","role":"fsw","team":"north","fte":0.5}}"#
            ),
        ])
    func differentContent(what: String, line: String) throws {
        let ledger = try Self.ledger()
        let before = readBytes(ledger.path)
        let refusal = try ledger.refusal(line)
        #expect(refusal?.field == "id", "\(what)")
        #expect(
            refusal?.rule
                == "already in the log (seq 6) with different content; corrections are new events (event.corrected)",
            "\(what)")
        #expect(readBytes(ledger.path) == before)
    }

    @Test("JSON sameness: order of members, escapes and number spelling; not types")
    func sameness() throws {
        func same(_ a: String, _ b: String) throws -> Bool {
            try JSONParser.parse(a).isSame(as: JSONParser.parse(b))
        }
        #expect(try same(#"{"a":1,"b":[1,{"c":"x"}]}"#, #"{"b":[1.0,{"c":"\u0078"}],"a":1e0}"#))
        #expect(try !same(#"{"a":1}"#, #"{"a":1,"b":null}"#))
        #expect(try !same(#"{"a":[1,2]}"#, #"{"a":[2,1]}"#))
        #expect(try !same(#"{"a":1}"#, #"{"a":"1"}"#))
        #expect(try !same(#"{"a":null}"#, #"{"b":null}"#))
        #expect(try !same(#"{"a":true}"#, #"{"a":1}"#))
    }
}
