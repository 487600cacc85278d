import EventLog
import Foundation
import LedgerTestSupport
import Testing

/// The README tour's own set-up (issue 20): people registered by the HR feed with no caseload override, under
/// `leicestershire-early-help`, whose seed (004) sets no caseload figure. Every registered worker who has not left
/// is in `caseload`, those with no families too; where the policy sets no limit, the limit and status are null and
/// read "no limit set", and no team claims a capacity of "0–0 families". Under `warwickshire-fsw` (001 Table 3)
/// the same workers get 10–15 families each, scaled by FTE.
@Suite("ledger CLI: every registered worker in caseload, with the limit the policy sets or none")
struct CaseloadLimitsCLITests {
    static let staff = [
        #"{"id":"reg-w-017","stream":"worker:w-017","type":"worker.registered","occurredAt":"2026-01-05","actor":{"id":"hr","role":"system"},"data":{"name":"Sam Patel","role":"fsw","team":"north","fte":1}}"#,
        #"{"id":"reg-w-018","stream":"worker:w-018","type":"worker.registered","occurredAt":"2026-01-05","actor":{"id":"hr","role":"system"},"data":{"name":"Ana Lee","role":"fsw","team":"north","fte":0.6}}"#,
        #"{"id":"reg-m-001","stream":"worker:m-001","type":"worker.registered","occurredAt":"2026-01-05","actor":{"id":"hr","role":"system"},"data":{"name":"Jo Khan","role":"team-manager","team":"north","fte":1}}"#,
        #"{"id":"ref-F-102","stream":"family:F-102","type":"referral.received","occurredAt":"2026-11-02","actor":{"id":"m-001","role":"team-manager"},"data":{"source":"school","reason":"Attendance","members":[{"id":"123456","name":"Megan","dob":"2015-04-01","role":"child"}]}}"#,
        #"{"id":"tri-F-102","stream":"family:F-102","type":"triage.completed","occurredAt":"2026-11-03","actor":{"id":"m-001","role":"team-manager"},"data":{"outcome":4,"priority":"medium","level":"targeted"}}"#,
        #"{"id":"all-F-102","stream":"family:F-102","type":"worker.allocated","occurredAt":"2026-11-04","actor":{"id":"m-001","role":"team-manager"},"data":{"worker":"w-017","relationship":"lead"}}"#,
    ]

    /// A log made as the README tour makes it, with F-102 triaged and allocated to w-017 as lines.
    static func tour(policy: String, in directory: TemporaryDirectory) throws -> String {
        let log = directory.file("my.jsonl")
        let made = Subprocess.ledger(
            [
                "init", "--log", log, "--policy", policy, "--system", "hr:hr-feed", "--system",
                "dm:data-matching",
            ], in: directory)
        try #require(made.status == 0, "\(made.stderr)")
        try (staff.joined(separator: "\n") + "\n").write(
            toFile: directory.file("staff.jsonl"), atomically: true, encoding: .utf8)
        // Triage and allocation as lines (the README's `record` flags are another issue's to change).
        let appended = Subprocess.ledger(
            ["append", directory.file("staff.jsonl"), "--log", log], in: directory)
        try #require(appended.status == 0, "\(appended.stderr)")
        return log
    }

    static func caseload(_ log: String, in directory: TemporaryDirectory) throws -> JSONObject {
        let result = Subprocess.ledger(
            ["caseload", "--as-of", "2026-11-23", "--format", "json", "--log", log], in: directory)
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try JSONParser.parse(result.stdout).objectValue)
    }

    @Test("under leicestershire-early-help: every worker listed, no limit set, no 0–0 capacity")
    func noLimitSet() throws {
        let directory = TemporaryDirectory()
        let log = try Self.tour(policy: "leicestershire-early-help", in: directory)
        let figures = try Self.caseload(log, in: directory)
        let workers = figures["workers"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(workers.compactMap { $0["worker"]?.stringValue } == ["m-001", "w-017", "w-018"])
        let sam = try #require(workers.first { $0["worker"]?.stringValue == "w-017" })
        #expect(sam["families"] == .int(1) && sam["limit"] == .null && sam["status"] == .null)
        let ana = try #require(workers.first { $0["worker"]?.stringValue == "w-018" })
        #expect(ana["families"] == .int(0) && ana["limit"] == .null)
        let service = try #require(figures["service"]?.objectValue)
        #expect(
            service["capacity"] == .null && service["status"] == .null
                && service["withoutLimit"] == .int(3))
        let table = Subprocess.ledger(
            ["caseload", "--as-of", "2026-11-23", "--format", "table", "--log", log], in: directory)
        #expect(
            table.stdout.contains("no limit set") && !table.stdout.contains("0–0"),
            "\(table.stdout)")
        let site = directory.file("site")
        let rebuilt = Subprocess.ledger(
            ["rebuild", "--out", site, "--as-of", "2026-11-23", "--log", log], in: directory)
        try #require(rebuilt.status == 0, "\(rebuilt.stderr)")
        let index = String(decoding: readBytes(site + "/index.html"), as: UTF8.self)
        #expect(index.contains("Ana Lee <span class=\"meta nowrap id\">(w-018)</span>"))
        #expect(index.contains("no limit set") && !index.contains("0–0"))
    }

    @Test("under warwickshire-fsw: 10–15 families per FTE (001 Table 3), those with none under")
    func policyLimit() throws {
        let directory = TemporaryDirectory()
        let log = try Self.tour(policy: "warwickshire-fsw", in: directory)
        let figures = try Self.caseload(log, in: directory)
        let workers = figures["workers"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(workers.count == 3)
        let ana = try #require(workers.first { $0["worker"]?.stringValue == "w-018" })
        #expect(
            ana["limit"]?.objectValue?["min"]?.doubleValue == 6
                && ana["limit"]?.objectValue?["max"]?.doubleValue == 9)
        #expect(ana["families"] == .int(0) && ana["status"] == .string("under"))
        let manager = try #require(workers.first { $0["worker"]?.stringValue == "m-001" })
        #expect(manager["limit"] == .null && manager["status"] == .null)
        let team = try #require(figures["teams"]?.arrayValue?.first?.objectValue)
        let capacity = team["capacity"]?.objectValue
        #expect(
            capacity?["min"]?.doubleValue == 16 && capacity?["max"]?.doubleValue == 24
                && capacity?["unit"] == .string("families"))
        #expect(
            team["workers"] == .int(3) && team["withoutLimit"] == .int(1)
                && team["status"] == .string("under"))
    }
}
