import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Projections
import Testing

/// One rule names the lead everywhere (`Lead`): the worker allocated as lead, never a second or assigned one.
@Suite("The lead worker")
struct LeadTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var events: [E]
        var lead: String?
        var testDescription: String { name }
    }

    static func allocate(_ worker: String, _ relationship: String, on date: String = "2026-03-03")
        -> E
    {
        E(
            "worker.allocated", date,
            ["worker": .string(worker), "relationship": .string(relationship)], manager: true)
    }
    static func unallocate(_ worker: String, on date: String = "2026-03-10") -> E {
        E("worker.unallocated", date, ["worker": .string(worker)], manager: true)
    }

    static let cases: [Case] = [
        Case(name: "a lead", events: [allocate("w-017", "lead")], lead: "w-017"),
        Case(
            name: "only a second worker: no lead", events: [allocate("w-018", "second")], lead: nil),
        Case(
            name:
                "the lead unallocated, a second worker left: no lead, as with a second worker alone",
            events: [allocate("w-017", "lead"), allocate("w-018", "second"), unallocate("w-017")],
            lead: nil),
        Case(
            name: "a second worker allocated after the lead leaves the lead as it was",
            events: [allocate("w-017", "lead"), allocate("w-018", "second")], lead: "w-017"),
        Case(
            name: "a new lead replaces the old",
            events: [allocate("w-017", "lead"), allocate("w-018", "lead")], lead: "w-018"),
        Case(
            name: "the lead allocated again as a second worker no longer leads",
            events: [allocate("w-017", "lead"), allocate("w-017", "second", on: "2026-03-05")],
            lead: nil),
        Case(
            name: "a transfer's worker leads",
            events: [
                allocate("w-017", "lead"),
                E(
                    "transfer.completed", "2026-03-20", ["team": "south", "worker": "w-018"],
                    manager: true),
            ],
            lead: "w-018"),
    ]

    @Test("families' lead and due's responsible agree, by one rule", arguments: cases)
    func lead(_ testCase: Case) throws {
        let scenario = try Scenario(profile: "warwickshire-fsw", testCase.events)
        let reports = try scenario.reports(asOf: "2026-04-01")
        let row = try #require(reports.families().first)
        // No lead reads as an empty cell (null in JSON), the same for every way of having none.
        #expect(row["lead"] == testCase.lead.map(JSONValue.string) ?? .null, "\(row)")
        let responsible = reports.due().map { $0["responsible"] ?? .null }
        #expect(!responsible.isEmpty)
        #expect(
            responsible.allSatisfy { $0 == testCase.lead.map(JSONValue.string) ?? .null },
            "\(responsible)")
    }

    @Test(
        "a lead who leaves leads no more: every projection says the family has no one, as the caseload does"
    )
    func leaverLeadsNoMore() throws {
        let left = Events.line(
            id: "left-w-017", stream: "worker:w-017", type: "worker.left", on: "2026-03-20",
            actor: "hr", role: "system", data: [:])
        let scenario = try Scenario(
            profile: "warwickshire-fsw",
            [Self.allocate("w-017", "lead"), Self.allocate("w-018", "second")], then: [left])
        func figures(_ asOf: String) throws -> (
            lead: JSONValue?, workers: JSONValue?, unallocated: Int?
        ) {
            let reports = try scenario.reports(asOf: asOf)
            let row = try #require(reports.families().first)
            let service = reports.caseload().service
            return (row["lead"], row["workers"], service["unallocated"]?.intValue)
        }
        let before = try figures("2026-03-10")
        #expect(before.lead == "w-017")
        #expect(before.workers == ["w-017", "w-018"])
        let after = try figures("2026-04-01")
        #expect(after.lead == .null)
        #expect(after.workers == ["w-018"])
        #expect(after.unallocated == 0)
        let due = try scenario.reports(asOf: "2026-04-01").due()
        #expect(!due.isEmpty && due.allSatisfy { $0["responsible"] == .null })
        // With the second worker gone too, the family is unallocated everywhere.
        let second = Events.line(
            id: "left-w-018", stream: "worker:w-018", type: "worker.left", on: "2026-03-25",
            actor: "hr", role: "system", data: [:])
        let both = try Scenario(
            profile: "warwickshire-fsw",
            [Self.allocate("w-017", "lead"), Self.allocate("w-018", "second")],
            then: [left, second])
        let reports = try both.reports(asOf: "2026-04-01")
        let row = try #require(reports.families().first)
        #expect(row["workers"] == [])
        #expect(row["status"] == "referred")
        #expect(reports.caseload().service["unallocated"]?.intValue == 1)
    }

    @Test("Annex A's team follows the same lead: a transfer moves the child to the new lead's team")
    func annexTeam() throws {
        let scenario = try Scenario(
            profile: "warwickshire-fsw",
            [
                E("engagement.started", "2026-03-04"),
                Self.allocate("w-017", "lead"),
                E(
                    "transfer.completed", "2026-03-20", ["team": "south", "worker": "w-019"],
                    manager: true),
            ], extraWorkers: [Events.worker("w-019", team: "south")])
        var list = AnnexA()
        try EventScanner.scan(path: scenario.ledger.path, window: EventWindow()) { list.apply($0) }
        let teams = list.rows(on: try #require(CivilDate("2026-04-01"))).map { $0.text("team") }
        #expect(!teams.isEmpty)
        #expect(Set(teams) == ["south"])
    }
}
