import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// A policy is data a council writes by hand: a member the ledger does not know is a mistake to name, never a
/// rule silently left out (an adversary's `needsManger` kept sign-off off, `levls` applied a brief-work rule to
/// every level, and rules under a top-level `rules` made no obligations at all).
@Suite("Policy documents: every member known, or refused by name")
struct PolicyMemberTests {
    static func object(_ profile: String) throws -> JSONObject {
        let text = try #require(PolicyProfiles.document(profile))
        return try #require(try JSONParser.parse(Array(text.utf8)).objectValue)
    }

    @Test(
        "every built-in profile holds only members the ledger reads",
        arguments: PolicyProfiles.names)
    func profilesParse(profile: String) throws {
        _ = try Policy(json: try Self.object(profile))
    }

    /// Where a misspelt member is put, and the field the refusal must name.
    static let misspelt: [(place: String, field: String)] = [
        ("root", "policy.rules"), ("closure", "policy.closure.needsManger"),
        ("deadline", "policy.deadlines[0].levls"), ("pbr", "policy.pbr.starThreshhold"),
        ("triage", "policy.triage.withn"),
    ]

    @Test(
        "a misspelt member anywhere is refused by its path",
        arguments: PolicyProfiles.names, misspelt.indices)
    func misspeltRefused(profile: String, index: Int) throws {
        var object = try Self.object(profile)
        let (place, field) = Self.misspelt[index]
        let key = String(field.split(separator: ".").last ?? "")
        switch place {
        case "root":
            object[key] = .array([])
        case "deadline":
            guard var rules = object["deadlines"]?.arrayValue, var first = rules.first?.objectValue
            else { return }
            first[key] = .array(["brief"])
            rules[0] = .object(first)
            object["deadlines"] = .array(rules)
        default:
            var member = object[place]?.objectValue ?? JSONObject()
            member[key] = .bool(true)
            object[place] = .object(member)
        }
        let error = #expect(throws: PolicyError.self, "\(profile) \(place)") {
            try Policy(json: object)
        }
        #expect(error?.field == field, "\(String(describing: error))")
        #expect(error?.rule.hasPrefix("unknown member (known: ") == true)
    }
}
