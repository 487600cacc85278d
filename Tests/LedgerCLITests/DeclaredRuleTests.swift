import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

#if DEBUG
    /// Issue 18's first experiment, kept: a rule added to a type's declaration, in one place, is enforced by
    /// `append`, by `ingest` of a file over 1 MiB (read and judged in place) and by `verify`. The rule is a
    /// test's own (`LEDGER_TEST_TYPE_RULE`, honoured by debug builds only), added where the catalogue's rules
    /// are declared: a worker's caseload minimum must be at least its maximum, the reverse of the real rule, so
    /// that an ordinary registration breaks it.
    @Suite("A rule added to a type's declaration holds on every write and read path")
    struct DeclaredRuleTests {
        static let now = ["LEDGER_NOW": "2026-11-23T12:00:00Z", "LEDGER_SEED": "3"]
        static let withRule = now.merging(
            ["LEDGER_TEST_TYPE_RULE": "worker.registered ordered caseload max min"]
        ) { $1 }
        /// What the added rule refuses (the real rule passes it: 8 ≤ 12).
        static let refusal = "data.caseload.max"

        /// A registration with caseload 8–12: valid, but not under the added rule.
        static let registration = Events.line(
            id: "reg-w-099", stream: "worker:w-099", type: "worker.registered", on: "2026-01-05",
            actor: "hr", role: "system",
            data: [
                "name": "Worker w-099", "role": "fsw", "team": "north", "fte": 1,
                "caseload": ["min": 8, "max": 12],
            ])

        /// A log with its policy, the HR feed and the staff.
        static func log() -> (TemporaryDirectory, String) {
            let directory = TemporaryDirectory()
            let log = directory.file("ledger.jsonl")
            let created = Subprocess.ledger(
                ["init", "--log", log, "--system", "hr:hr-feed"], environment: now, in: directory)
            #expect(created.status == 0, "\(created.stderr)")
            let staff = Subprocess.ledger(
                ["append", "--log", log], environment: now,
                stdin: Events.staff.joined(separator: "\n") + "\n", in: directory)
            #expect(staff.status == 0, "\(staff.stderr)")
            return (directory, log)
        }

        @Test("append: refused with the rule, appended without it")
        func append() {
            for rule in [true, false] {
                let (directory, log) = Self.log()
                let result = Subprocess.ledger(
                    ["append", "--log", log], environment: rule ? Self.withRule : Self.now,
                    stdin: Self.registration + "\n", in: directory)
                #expect(result.status == (rule ? 1 : 0), "\(result.stderr)")
                #expect(result.stderr.contains(Self.refusal) == rule, "\(result.stderr)")
                #expect(readLines(log).contains { $0.contains("w-099") } == !rule)
            }
        }

        @Test("ingest of a file over 1 MiB (judged in place): the line rejected with the rule")
        func ingest() {
            // 4,000 teams defined by the HR feed (about 1.3 MiB), the registration among them.
            var lines = (0..<4_000).map { index in
                Events.line(
                    id: "team-\(index)", stream: "org", type: "team.defined", on: "2026-01-02",
                    actor: "hr", role: "system",
                    data: [
                        "id": .string("t-\(index)"),
                        "name": .string(
                            "Team \(index) " + String(repeating: "of the north locality ", count: 8)
                        ),
                    ])
            }
            lines.insert(Self.registration, at: 2_000)
            let text = lines.joined(separator: "\n") + "\n"
            #expect(text.utf8.count > 1 << 20)
            for rule in [true, false] {
                let (directory, log) = Self.log()
                let input = directory.file("input.jsonl")
                writeBytes(Array(text.utf8), to: input)
                let rejects = directory.file("rejects.jsonl")
                let result = Subprocess.ledger(
                    ["ingest", input, "--rejects", rejects, "--log", log],
                    environment: rule ? Self.withRule : Self.now, in: directory)
                #expect(result.status == (rule ? 1 : 0), "\(result.stderr)")
                let rejected = rule ? readLines(rejects) : []
                #expect(rejected.count == (rule ? 1 : 0))
                #expect(rejected.allSatisfy { $0.contains("w-099") && $0.contains(Self.refusal) })
                let appended = readLines(log)
                #expect(appended.count == 4 + 4_000 + (rule ? 0 : 1))
                #expect(appended.contains { $0.contains("reg-w-099") } == !rule)
            }
        }

        @Test("verify: a log holding the line fails with the rule, passes without it")
        func verify() {
            let (directory, log) = Self.log()
            let appended = Subprocess.ledger(
                ["append", "--log", log], environment: Self.now,
                stdin: Self.registration + "\n", in: directory)
            #expect(appended.status == 0, "\(appended.stderr)")
            let without = Subprocess.ledger(
                ["verify", "--log", log], environment: Self.now, in: directory)
            #expect(without.status == 0, "\(without.stderr)")
            let with = Subprocess.ledger(
                ["verify", "--log", log], environment: Self.withRule, in: directory)
            #expect(with.status == 1)
            #expect(with.stderr.contains("FAILED") && with.stderr.contains(Self.refusal))
            #expect(
                with.stderr.contains("seq 5") || with.stderr.contains("line 5"), "\(with.stderr)")
        }
    }
#endif
