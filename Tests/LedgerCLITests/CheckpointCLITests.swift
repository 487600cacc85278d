import EventLog
import LedgerTestSupport
import Testing

/// Projection checkpoints through the command: whatever path a query takes (checkpoint and the events after it,
/// or the whole log), it prints exactly what `--from-scratch` prints; and the path it takes is the one it should.
@Suite("ledger CLI: projection checkpoints", .serialized)
struct CheckpointCLITests {
    static let commands: [[String]] = [["caseload"], ["families"], ["pbr"], ["due"]]
    static let now = ["LEDGER_NOW": "2026-11-24T09:00:00Z"]

    struct Log {
        let directory = TemporaryDirectory()
        let path: String

        init(families: Int = 30, seed: Int = 5) {
            _ = Subprocess.ledger(
                [
                    "demo", "--families", String(families), "--seed", String(seed), "--out",
                    directory.file("d"),
                ], in: directory)
            path = directory.file("d/ledger.jsonl")
        }

        func run(_ arguments: [String], trace: Bool = false) -> Subprocess.Result {
            var environment = CheckpointCLITests.now
            if trace { environment["LEDGER_TRACE"] = "1" }
            return Subprocess.ledger(
                arguments + ["--log", path], environment: environment, in: directory)
        }

        /// Every projection, checkpointed and from scratch: the same bytes. Returns the traces.
        func expectSameAnswers(
            asOf: String = "2026-11-24", _ context: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) -> String {
            var traces = ""
            for command in CheckpointCLITests.commands {
                let arguments = command + ["--as-of", asOf, "--format", "json"]
                let checkpointed = run(arguments, trace: true)
                let scratch = run(arguments + ["--from-scratch"])
                #expect(
                    checkpointed.status == 0 && scratch.status == 0,
                    "\(context): \(checkpointed.stderr)", sourceLocation: sourceLocation)
                #expect(
                    checkpointed.stdout == scratch.stdout,
                    "\(context): \(command[0]) differs from --from-scratch",
                    sourceLocation: sourceLocation)
                #expect(
                    checkpointed.stdout.count > 100, "\(context): \(command[0]) printed little",
                    sourceLocation: sourceLocation)
                traces += checkpointed.stderr
            }
            return traces
        }

        func append(_ lines: [String]) {
            let input = directory.file("append-\(lines.count)-\(lines.first?.hashValue ?? 0).jsonl")
            writeBytes(Array(lines.joined(separator: "\n").utf8 + [0x0A]), to: input)
            let result = Subprocess.ledger(
                ["append", input, "--log", path], environment: CheckpointCLITests.now, in: directory
            )
            #expect(result.status == 0, "append refused: \(result.stderr)")
        }
    }

    static func event(
        _ id: String, _ family: String, _ type: String, _ data: String, manager: Bool = true
    ) -> String {
        let actor =
            manager ? #"{"id":"m-301","role":"team-manager"}"# : #"{"id":"w-101","role":"fsw"}"#
        return
            #"{"id":"\#(id)","stream":"family:\#(family)","type":"\#(type)","occurredAt":"2026-11-24","actor":\#(actor),"data":\#(data)}"#
    }

    @Test(
        "after appends of every kind the checkpoint is used, and every projection matches --from-scratch"
    )
    func appendsOfEveryKind() {
        let log = Log()
        let first = log.expectSameAnswers("first query")
        #expect(
            first.contains("checkpoint caseload: none yet")
                && first.contains("checkpoint caseload: kept"))
        for scope in ["caseload", "families", "all"] {
            #expect(fileMode(log.path + ".fold-" + scope) == 0o600, "fold-\(scope) is owner-only")
        }
        #expect(log.expectSameAnswers("no appends").contains("checkpoint caseload: used from seq"))

        // A new family: referred, two workers allocated, one of them unallocated, a baby born.
        log.append([
            Self.event(
                "cp-ref", "F-CP1", "referral.received",
                #"{"source":"school","reason":"Attendance","members":[{"id":"cp-c1","name":"Ava","dob":"2015-02-02","role":"child"}]}"#
            ),
            Self.event(
                "cp-lead", "F-CP1", "worker.allocated", #"{"worker":"w-101","relationship":"lead"}"#
            ),
            Self.event(
                "cp-second", "F-CP1", "worker.allocated",
                #"{"worker":"w-102","relationship":"assigned"}"#),
            Self.event("cp-unalloc", "F-CP1", "worker.unallocated", #"{"worker":"w-102"}"#),
            Self.event(
                "cp-baby", "F-CP1", "family.member.added",
                #"{"member":{"id":"cp-c2","name":"Leo","dob":"2026-11-01","role":"child"}}"#),
        ])
        let afterNew = log.expectSameAnswers("a new family")
        #expect(afterNew.contains("checkpoint caseload: used from seq"), "\(afterNew)")

        // A correction of an event after the checkpoint: still used. The level is corrected, then the case closed.
        log.append([
            Self.event(
                "cp-triage", "F-CP1", "triage.completed",
                #"{"outcome":4,"priority":"high","level":"targeted"}"#),
            Self.event(
                "cp-fix", "F-CP1", "event.corrected",
                #"{"target":"cp-triage","reason":"wrong level","data":{"outcome":4,"priority":"high","level":"intensive"}}"#
            ),
        ])
        #expect(
            log.expectSameAnswers("a correction after the checkpoint").contains(
                "checkpoint caseload: used from seq"))
        log.append([Self.event("cp-close", "F-CP1", "case.closed", #"{"reason":"met-outcomes"}"#)])
        #expect(log.expectSameAnswers("a closure").contains("checkpoint caseload: used from seq"))
    }

    @Test(
        "a correction of an event before the checkpoint, a window it does not fit, a damaged or stale file: not used, same answers"
    )
    func notUsed() {
        let log = Log()
        _ = log.expectSameAnswers("first query")
        // Correct the demo's first referral, which the checkpoint already holds.
        func objects(_ output: String) -> [JSONObject] {
            output.split(separator: "\n").compactMap {
                try? JSONParser.parse(String($0)).objectValue
            }
        }
        guard
            let family = objects(log.run(["families", "--format", "jsonl"]).stdout)
                .first(where: { $0["status"]?.stringValue != "closed" })?["family"]?.stringValue,
            let target = objects(log.run(["timeline", family, "--format", "jsonl"]).stdout)
                .first(where: {
                    // An event whose void leaves the rest standing (a referral's would leave its episode's work
                    // in no episode, and is refused).
                    ["visit.completed", "note.recorded", "contact.attempted", "referrer.contacted"]
                        .contains($0["type"]?.stringValue ?? "")
                })?["id"]?
                .stringValue
        else {
            Issue.record("no open family with a visit, note or contact in the demo log")
            return
        }
        log.append([
            Self.event(
                "cp-void-old", family, "event.voided",
                #"{"target":"\#(target)","reason":"entered in error"}"#)
        ])
        let traces = log.expectSameAnswers("a void of an event before the checkpoint")
        #expect(
            traces.contains("not used: an event after it corrects or voids one before it"),
            "\(traces)")

        // As of an earlier date the checkpoint holds too much.
        #expect(
            log.expectSameAnswers(asOf: "2026-06-30", "an earlier as-of").contains(
                "not used: the window leaves out events it holds"))

        // A damaged checkpoint is noticed and rebuilt.
        let checkpoint = log.path + ".fold-caseload"
        var bytes = readBytes(checkpoint)
        bytes[bytes.count - 10] ^= 0xFF
        writeBytes(bytes, to: checkpoint)
        #expect(
            log.expectSameAnswers("a damaged checkpoint").contains(
                "checkpoint caseload: not used: its checksum does not match"))

        // Another log in its place: the stamp no longer holds.
        let other = Log(families: 12, seed: 9)
        writeBytes(readBytes(other.path), to: log.path)
        #expect(
            log.expectSameAnswers("another log in its place").contains(
                "not used: the log does not hold seq"))
    }
}
