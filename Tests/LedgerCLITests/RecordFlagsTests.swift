import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// `ledger record` at a terminal: a type's own `worker`, `role` and `data` fields take those flags, lists of
/// objects are JSON arrays, and `record TYPE --help` lists the type's fields (issue 20's worker).
@Suite("ledger record: flags that are also fields")
struct RecordFlagsTests {
    static func record(_ arguments: [String], log: String, in directory: TemporaryDirectory)
        -> Subprocess.Result
    {
        Subprocess.ledger(
            ["record"] + arguments + ["--log", log], environment: CLIWriteTests.now, in: directory)
    }

    @Test("worker.registered --role sets the new worker's role; the system acts in its own role")
    func registerWithRole() {
        let (directory, log) = CLIWriteTests.initialized()
        let result = Self.record(
            [
                "worker.registered", "--worker", "w-017", "--actor", "hr", "--name", "Sam Patel",
                "--role", "fsw",
                "--team", "north", "--fte", "1", "--on", "2026-01-05",
            ], log: log, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let line = readLines(log).last ?? ""
        #expect(line.contains(#""stream":"worker:w-017","type":"worker.registered""#), "\(line)")
        #expect(line.contains(#""actor":{"id":"hr","role":"system"}"#), "\(line)")
        #expect(
            line.contains(#""data":{"name":"Sam Patel","role":"fsw","team":"north","fte":1}"#),
            "\(line)")
    }

    @Test("worker.allocated --worker names the allocated worker; --members takes a JSON array")
    func workerAndMembers() {
        let (directory, log) = CLIWriteTests.initialized()
        _ = Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: (Events.staff + [Events.referral("F-1", on: "2026-02-02")]).joined(
                separator: "\n") + "\n",
            in: directory)
        let allocated = Self.record(
            [
                "worker.allocated", "--family", "F-1", "--actor", "m-001", "--worker", "w-017",
                "--relationship", "lead",
                "--on", "2026-02-03", "--id", "al-1",
            ], log: log, in: directory)
        #expect(allocated.status == 0, "\(allocated.stderr)")
        #expect(
            readLines(log).last?.contains(#""data":{"worker":"w-017","relationship":"lead"}"#)
                ?? false)
        let referral = Self.record(
            [
                "referral.received", "--family", "F-2", "--actor", "m-001", "--source", "school",
                "--reason", "Attendance",
                "--members", #"[{"id":"c-9","name":"Ann","role":"child","dob":"2016-01-01"}]"#,
                "--on", "2026-02-03",
            ],
            log: log, in: directory)
        #expect(referral.status == 0, "\(referral.stderr)")
        #expect(
            readLines(log).last?.contains(
                #""members":[{"id":"c-9","name":"Ann","role":"child","dob":"2016-01-01"}]"#)
                ?? false)
        let commas = Self.record(
            [
                "referral.received", "--family", "F-3", "--actor", "m-001", "--source", "school",
                "--reason", "x",
                "--members", "a,b",
            ], log: log, in: directory)
        #expect(
            commas.status == 2 && commas.stderr.contains("give it as a JSON array"),
            "\(commas.stderr)")
    }

    @Test(
        "event.corrected --data.NAME sets the corrected data; an FSW cannot change their own role")
    func correctionAndOwnRole() {
        let (directory, log) = CLIWriteTests.initialized()
        _ = Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: (Events.staff + [Events.referral("F-1", on: "2026-02-02")]).joined(
                separator: "\n") + "\n",
            in: directory)
        let visit = Self.record(
            [
                "visit.completed", "--family", "F-1", "--actor", "w-017", "--kind", "home", "--id",
                "v-1", "--on", "2026-02-05",
            ],
            log: log, in: directory)
        #expect(visit.status == 0, "\(visit.stderr)")
        let fix = Self.record(
            [
                "event.corrected", "--family", "F-1", "--actor", "w-017", "--target", "v-1",
                "--reason", "It was school",
                "--data.kind", "school", "--on", "2026-02-06",
            ], log: log, in: directory)
        #expect(fix.status == 0, "\(fix.stderr)")
        #expect(
            readLines(log).last?.contains(
                #""data":{"target":"v-1","reason":"It was school","data":{"kind":"school"}}"#)
                ?? false)
        let promote = Self.record(
            [
                "worker.changed", "--worker-stream", "w-017", "--actor", "w-017", "--role",
                "team-manager",
            ],
            log: log, in: directory)
        #expect(
            promote.status == 1 && promote.stderr.contains("cannot change their own role"),
            "\(promote.stderr)")
        let twice = Self.record(
            [
                "note.recorded", "--family", "F-1", "--actor", "w-017", "--subject", "a",
                "--subject", "b", "--body", "c",
            ],
            log: log, in: directory)
        #expect(
            twice.status == 2 && twice.stderr.contains("--subject is given twice"),
            "\(twice.stderr)")
    }

    @Test(
        "a field given two ways, two worker streams, or a number JSON cannot write are usage errors"
    )
    func ambiguousFlags() {
        let (directory, log) = CLIWriteTests.initialized()
        _ = Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: (Events.staff + [Events.referral("F-1", on: "2026-02-02")]).joined(
                separator: "\n") + "\n",
            in: directory)
        let before = readBytes(log)
        let cases: [([String], String)] = [
            (
                [
                    "visit.completed", "--family", "F-1", "--actor", "w-017", "--data",
                    #"{"kind":"home"}"#, "--kind", "office",
                ],
                "--data already gives"
            ),
            (
                ["worker.left", "--worker", "w-5", "--worker-stream", "w-6", "--actor", "hr"],
                "not both"
            ),
            (
                ["worker.changed", "--worker-stream", "w-017", "--actor", "hr", "--fte", "NaN"],
                "must be a number"
            ),
            (
                ["worker.changed", "--worker-stream", "w-017", "--actor", "hr", "--fte", ".5"],
                "must be a number"
            ),
        ]
        for (arguments, message) in cases {
            let result = Self.record(arguments, log: log, in: directory)
            #expect(
                result.status == 2 && result.stderr.contains(message),
                "\(arguments): \(result.stderr)")
        }
        #expect(readBytes(log) == before)
    }

    @Test("record TYPE --help lists the type's fields")
    func typeHelp() {
        let directory = TemporaryDirectory()
        let help = Subprocess.ledger(["record", "worker.registered", "--help"], in: directory)
        #expect(help.status == 0)
        for expected in [
            "--name", "--role", "--team", "--fte", "--caseload (optional)", "--actor-role",
        ] {
            #expect(help.stdout.contains(expected), "\(expected) in \(help.stdout)")
        }
        let manager = Subprocess.ledger(["record", "closure.approved", "--help"], in: directory)
        #expect(manager.stdout.contains("Needs a manager actor."), "\(manager.stdout)")
    }
}
