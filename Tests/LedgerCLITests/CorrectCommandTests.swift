import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// `ledger correct EVENT --set FIELD=VALUE`: only the named fields change, the rest of the event's data as it now
/// stands is kept (issue 20: a hand-written correction of one field of a visit lost "child seen alone").
@Suite("ledger correct: named fields only")
struct CorrectCommandTests {
    static func prepared() -> (TemporaryDirectory, String) {
        let (directory, log) = CLIWriteTests.initialized()
        let lines =
            Events.staff + [
                Events.referral("F-1", on: "2026-02-02"),
                Events.line(
                    id: "vis-1", stream: "family:F-1", type: "visit.completed", on: "2026-02-05",
                    data: ["kind": "home", "childrenSeen": ["123456"], "childSeenAlone": true]),
                Events.line(
                    id: "star-1", stream: "family:F-1", type: "assessment.completed",
                    on: "2026-02-06",
                    data: ["kind": "family-star", "familyStar": Events.star(5)]),
            ]
        let appended = Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: lines.joined(separator: "\n") + "\n", in: directory)
        #expect(appended.status == 0, "\(appended.stderr)")
        return (directory, log)
    }

    static func correct(_ arguments: [String], log: String, in directory: TemporaryDirectory)
        -> Subprocess.Result
    {
        Subprocess.ledger(
            ["correct"] + arguments + ["--log", log], environment: CLIWriteTests.now, in: directory)
    }

    static func correctedData(_ log: String) throws -> JSONObject {
        let line = try #require(readLines(log).last)
        let record = try LineFormat.decode(Array(line.utf8))
        #expect(record.content.type == "event.corrected")
        return try #require(record.content.data.objectValue?["data"]?.objectValue)
    }

    @Test("one field changed, the others kept; a second correction builds on the first")
    func oneField() throws {
        let (directory, log) = Self.prepared()
        let first = Self.correct(
            ["vis-1", "--set", "kind=school", "--reason", "It was at school", "--actor", "w-017"],
            log: log,
            in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(
            try Self.correctedData(log)
                == JSONObject([
                    JSONMember("kind", "school"), JSONMember("childrenSeen", ["123456"]),
                    JSONMember("childSeenAlone", true),
                ]))
        // By seq this time (the visit is seq 7: init's three events, two staff, the referral).
        let second = Self.correct(
            ["7", "--set", "reflection=Calm", "--reason", "Added", "--actor", "w-017"], log: log,
            in: directory)
        #expect(second.status == 0, "\(second.stderr)")
        let data = try Self.correctedData(log)
        #expect(
            data["kind"] == "school" && data["childSeenAlone"] == true
                && data["reflection"] == "Calm", "\(data)")
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test("nested and listed fields by path, typed by the catalogue")
    func paths() throws {
        let (directory, log) = Self.prepared()
        let star = Self.correct(
            [
                "star-1", "--set", "familyStar.keepingSafe=8", "--reason", "Typed 5", "--actor",
                "w-017",
            ], log: log,
            in: directory)
        #expect(star.status == 0, "\(star.stderr)")
        let data = try Self.correctedData(log)
        #expect(data["familyStar"]?.objectValue?["keepingSafe"] == .number("8"))
        #expect(data["familyStar"]?.objectValue?["routine"] == .number("5"))
        let member = Self.correct(
            [
                "ref-F-1-2026-02-02", "--set", "members[0].name=Meghan", "--reason", "Spelling",
                "--actor", "m-001",
            ],
            log: log, in: directory)
        #expect(member.status == 0, "\(member.stderr)")
        let members = try Self.correctedData(log)["members"]?.arrayValue ?? []
        #expect(members.first?.objectValue?["name"] == "Meghan" && members.count == 2)
    }

    @Test(
        "an unknown field is a usage error; an unknown event is refused; the rules still judge it")
    func refusals() {
        let (directory, log) = Self.prepared()
        let before = readBytes(log)
        let unknown = Self.correct(
            ["vis-1", "--set", "mood=good", "--reason", "x", "--actor", "w-017"], log: log,
            in: directory)
        #expect(
            unknown.status == 2 && unknown.stderr.contains("no field mood"), "\(unknown.stderr)")
        let score = Self.correct(
            ["star-1", "--set", "familyStar.keepingSafe=11", "--reason", "x", "--actor", "w-017"],
            log: log, in: directory)
        #expect(
            score.status == 1 && score.stderr.contains("data.data.familyStar.keepingSafe"),
            "\(score.stderr)")
        let referral = Self.correct(
            ["ref-F-1-2026-02-02", "--set", "reason=Other", "--reason", "x", "--actor", "w-017"],
            log: log, in: directory)
        #expect(
            referral.status == 1 && referral.stderr.contains("needs a manager"),
            "\(referral.stderr)")
        let missing = Self.correct(
            ["nope", "--set", "kind=home", "--reason", "x", "--actor", "w-017"], log: log,
            in: directory)
        // The log refuses an event it does not hold, as `append` refuses a correction of one (exit 1): the
        // command was used rightly.
        #expect(missing.status == 1, "\(missing.stderr)")
        #expect(
            missing.stderr
                == "ledger correct: refused: EVENT: no event nope in the log (give its seq or id, as the timeline shows them)\n"
        )
        let beyond = Self.correct(
            ["99999", "--set", "kind=home", "--reason", "x", "--actor", "w-017"], log: log,
            in: directory)
        #expect(
            beyond.status == 1 && beyond.stderr.contains("no event 99999 in the log"),
            "\(beyond.stderr)")
        let twice = Self.correct(
            [
                "vis-1", "--set", "kind=home", "--set", "kind=school", "--reason", "x", "--actor",
                "w-017",
            ],
            log: log, in: directory)
        #expect(twice.status == 2 && twice.stderr.contains("given twice"), "\(twice.stderr)")
        #expect(readBytes(log) == before)
    }
}
