import EventLog
@testable import LedgerEngine
import LedgerTestSupport
import Testing

@testable import LedgerCore

/// The catalogue's `TypeRule`s have two interpreters: `TypeRules` (the reference, on parsed JSON) and
/// `TypeRulesInPlace` (on bytes). For every kind of rule, over values that pass and values that fail, the one on
/// bytes may decline what the reference passes, but never passes what the reference refuses; and it passes the
/// plain passing values, so the fast path is used.
@Suite("Type rules: the in-place interpreter never passes what the reference refuses")
struct TypeRuleDifferentialTests {
    /// A rule, data that must pass (in place too), and data the reference refuses (as JSON text).
    struct Example: Sendable, CustomTestStringConvertible {
        var rule: TypeRule
        var passing: [String]
        var failing: [String]
        var declinedAlways = false
        var testDescription: String { "\(rule)" }
    }

    static let examples: [Example] = [
        Example(
            rule: .wholePolicy, passing: [],
            failing: [
                #"{}"#, #"{"profile":"warwickshire-fsw","policy":{}}"#, #"{"policy":{"name":1}}"#,
            ],
            declinedAlways: true),
        Example(
            rule: .notEmpty(["role", "team"]), passing: [#"{"team":"north"}"#, #"{"a":1,"b":2}"#],
            failing: [#"{}"#, #"{ }"#]),
        Example(
            rule: .ordered(object: "caseload", low: "min", high: "max"),
            passing: [
                #"{}"#, #"{"caseload":{"min":1,"max":1}}"#, #"{"caseload":{"min":0,"max":12}}"#,
                #"{"caseload":{"max":3}}"#, #"{"caseload":{"max":12,"min":8}}"#,
            ],
            failing: [
                #"{"caseload":{"min":13,"max":12}}"#, #"{"caseload":{"max":1,"min":2}}"#,
                #"{"caseload":{"min":1000,"max":-1}}"#,
            ]),
        Example(
            rule: .datesInOrder(from: "from", to: "to"),
            passing: [
                #"{"from":"2026-01-01","to":"2026-01-01"}"#,
                #"{"from":"2025-12-31","to":"2026-01-01"}"#,
                #"{"to":"2026-01-01"}"#,
            ],
            failing: [
                #"{"from":"2026-01-02","to":"2026-01-01"}"#,
                #"{"to":"2025-02-28","from":"2025-03-01"}"#,
                #"{"from":"2024-03-01","to":"2024-02-29"}"#,
            ]),
        Example(
            rule: .childAndUniqueIDs(list: "members"),
            passing: [
                #"{"members":[{"id":"1","role":"child"}]}"#,
                #"{"members":[{"id":"p","role":"parent"},{"id":"c","role":"child"}]}"#,
            ],
            failing: [
                #"{"members":[]}"#, #"{"members":[{"id":"p","role":"parent"}]}"#,
                #"{"members":[{"id":"c","role":"child"},{"id":"c","role":"parent"}]}"#,
                #"{"members":[{"id":"c","role":"child"},{"id":"\u0063","role":"parent"}]}"#,
                #"{}"#,
            ]),
        Example(
            rule: .timeBound(list: "actions"),
            passing: [
                #"{}"#, #"{"actions":[{"id":"a","due":"2026-01-01"}]}"#,
                #"{"actions":[{"id":"a","everyDays":7}]}"#,
            ],
            failing: [
                #"{"actions":[{"id":"a"}]}"#,
                #"{"actions":[{"id":"a","due":"2026-01-01"},{"id":"b","who":"x"}]}"#,
            ]),
        Example(
            rule: .ufrnShape("ufrn"),
            passing: [#"{"ufrn":"EH03123456F"}"#, #"{"ufrn":"EH07x1F"}"#, #"{}"#],
            failing: [
                #"{"ufrn":"EH08123456F"}"#, #"{"ufrn":"XH03123456F"}"#, #"{"ufrn":"EH0312345"}"#,
                #"{"ufrn":"\u0045H08123456F"}"#,
            ]),
    ]

    static func reference(_ rule: TypeRule, _ text: String) throws -> Bool {
        let object = try #require(try JSONParser.parse(Array(text.utf8)).objectValue)
        do {
            try TypeRules.check(rule, object)
            return true
        } catch {
            return false
        }
    }

    static func inPlace(_ rule: TypeRule, _ text: String) -> Bool {
        Array(text.utf8).withUnsafeBufferPointer { TypeRulesInPlace.pass(rule, $0) }
    }

    @Test(
        "passing values pass both; failing values are refused by the reference and never passed in place",
        arguments: examples)
    func agrees(_ example: Example) throws {
        for text in example.passing {
            #expect(try Self.reference(example.rule, text), "reference refused \(text)")
            #expect(Self.inPlace(example.rule, text) != example.declinedAlways, "in place: \(text)")
        }
        for text in example.failing {
            #expect(try !Self.reference(example.rule, text), "reference passed \(text)")
            #expect(
                !Self.inPlace(example.rule, text),
                "in place passed what the reference refuses: \(text)")
        }
    }

    @Test("every kind of rule has an example (a new kind needs one here)")
    func everyKind() {
        // The switch has no default: a new case of TypeRule fails to compile here until it is given an example.
        for example in Self.examples {
            switch example.rule {
            case .wholePolicy, .notEmpty, .ordered, .datesInOrder, .childAndUniqueIDs, .timeBound,
                .ufrnShape:
                break
            }
        }
        #expect(Self.examples.count == 7)
    }

    @Test("every rule a type declares is read by both interpreters from that one declaration")
    func declaredOnce() throws {
        let plan = try #require(Catalogue.types["plan.updated"])
        let empty = Array("{}".utf8)
        #expect(empty.withUnsafeBufferPointer { !TypeRulesInPlace.pass(plan, $0) })
        #expect(throws: SchemaViolation.self) {
            try TypeRules.check(type: "plan.updated", data: JSONObject())
        }
    }
}
