import EventLog
import LedgerTestSupport
import Testing

/// The read side trusts nothing it has not checked: a checkpoint is used only when every byte of it, header
/// included, is as its build wrote it, its stamp is a line of the log (its hash recomputed), and its build's fold
/// means what this build's does; every read checks the chain of the lines it reads, and an append refuses to
/// extend a broken chain.
@Suite("ledger CLI: checkpoints checked, chains verified on every read", .serialized)
struct ReadIntegrityTests {
    static let now = ["LEDGER_NOW": "2026-11-24T09:00:00Z"]
    static let scopes = ["caseload", "families", "all"]

    struct Log {
        let directory = TemporaryDirectory()
        let path: String

        init(families: Int = 20, seed: Int = 5) {
            _ = Subprocess.ledger(
                [
                    "demo", "--families", String(families), "--seed", String(seed), "--out",
                    directory.file("d"),
                ], in: directory)
            path = directory.file("d/ledger.jsonl")
        }

        func run(_ arguments: [String], trace: Bool = true) -> Subprocess.Result {
            var environment = ReadIntegrityTests.now
            if trace { environment["LEDGER_TRACE"] = "1" }
            return Subprocess.ledger(
                arguments + ["--log", path], environment: environment, in: directory)
        }

        /// `arguments` answered from whatever checkpoint there is and from scratch: the same bytes, both exit 0.
        /// Returns the checkpointed run's traces.
        @discardableResult
        func expectSameAnswer(
            _ arguments: [String], _ context: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) -> String {
            let checkpointed = run(arguments + ["--format", "json"])
            let scratch = run(arguments + ["--format", "json", "--from-scratch"], trace: false)
            #expect(
                checkpointed.status == 0 && scratch.status == 0,
                "\(context): \(checkpointed.stderr)", sourceLocation: sourceLocation)
            #expect(
                checkpointed.stdout == scratch.stdout,
                "\(context): \(arguments[0]) differs from --from-scratch",
                sourceLocation: sourceLocation)
            #expect(
                checkpointed.stdout.count > 100, "\(context): printed little",
                sourceLocation: sourceLocation)
            return checkpointed.stderr
        }

        func append(_ lines: [String]) -> Subprocess.Result {
            let input = directory.file("append-\(lines.first?.hashValue ?? 0).jsonl")
            writeBytes(Array(lines.joined(separator: "\n").utf8 + [0x0A]), to: input)
            return Subprocess.ledger(
                ["append", input, "--log", path], environment: ReadIntegrityTests.now, in: directory
            )
        }

        func removeCheckpoints() {
            for scope in ReadIntegrityTests.scopes { FileOutput.remove(path + ".fold-" + scope) }
        }

        /// The log's lines, and the byte size of the log up to and including each.
        var lines: [(text: String, end: Int)] {
            var end = 0
            return readLines(path).map { line in
                end += line.utf8.count + 1
                return (line, end)
            }
        }
    }

    /// A checkpoint's header fields and the rest of the file.
    struct Checkpoint {
        var fields: [String]
        var payload: [UInt8]

        init(_ path: String) {
            let bytes = readBytes(path)
            let newline = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
            fields = String(decoding: bytes[..<newline], as: UTF8.self).split(
                separator: "\t", omittingEmptySubsequences: false
            ).map(String.init)
            payload = Array(bytes[min(newline + 1, bytes.endIndex)...])
        }

        /// Written back as a forger who knows only that the checksum is the SHA-256 of the snapshot would: the
        /// last header field made the SHA-256 of the payload again.
        func forge(to path: String) {
            var fields = fields
            fields[fields.count - 1] = SHA256.hash(payload).hex
            writeBytes(Array((fields.joined(separator: "\t") + "\n").utf8) + payload, to: path)
        }

        /// Written back with the checksum this build computes (the SHA-256 of the header up to it, then the hex
        /// SHA-256 of the payload): a checkpoint as another build would have written it.
        func reseal(to path: String) {
            var fields = fields
            let start = fields.dropLast().joined(separator: "\t") + "\t"
            fields[fields.count - 1] =
                SHA256.hash(Array(start.utf8) + SHA256.hash(payload).hexBytes).hex
            writeBytes(Array((fields.joined(separator: "\t") + "\n").utf8) + payload, to: path)
        }
    }

    static func event(_ id: String, _ family: String, _ type: String, _ data: String) -> String {
        #"{"id":"\#(id)","stream":"family:\#(family)","type":"\#(type)","occurredAt":"2026-11-24","actor":{"id":"m-301","role":"team-manager"},"data":\#(data)}"#
    }

    /// A new family referred, its case closed, and referred again: three events that fold differently twice.
    static let reopened = [
        event(
            "ri-ref", "F-RI1", "referral.received",
            #"{"source":"school","reason":"Attendance","members":[{"id":"ri-c1","name":"Ava","dob":"2015-02-02","role":"child"}]}"#
        ),
        event("ri-close", "F-RI1", "case.closed", #"{"reason":"met-outcomes"}"#),
        event(
            "ri-again", "F-RI1", "referral.received",
            #"{"source":"health","reason":"Back again","members":[{"id":"ri-c1","name":"Ava","dob":"2015-02-02","role":"child"}]}"#
        ),
    ]

    @Test(
        "a checkpoint's payload edited and its SHA-256 recomputed: not used, the answer is the log's"
    )
    func forgedPayload() {
        let log = Log()
        log.expectSameAnswer(["caseload"], "first query")
        let path = log.path + ".fold-caseload"
        var checkpoint = Checkpoint(path)
        // The caseload entries come last: their last worker id is moved to another worker.
        let id = Array("w-10".utf8)
        guard
            let at = (0..<(checkpoint.payload.count - id.count)).last(where: {
                Array(checkpoint.payload[$0..<($0 + id.count)]) == id
            })
        else {
            Issue.record("no worker id in the caseload checkpoint")
            return
        }
        checkpoint.payload[at + id.count] =
            checkpoint.payload[at + id.count] == UInt8(ascii: "1")
            ? UInt8(ascii: "2") : UInt8(ascii: "1")
        checkpoint.forge(to: path)
        let traces = log.expectSameAnswer(["caseload"], "a forged payload")
        #expect(traces.contains("checkpoint caseload: not used"), "\(traces)")
    }

    @Test(
        "a checkpoint's coverage edited in its header: not used by an earlier as-of, the answer is the log's"
    )
    func editedCoverage() {
        let log = Log()
        log.expectSameAnswer(["due", "--as-of", "2026-11-24"], "first query")
        let path = log.path + ".fold-all"
        var checkpoint = Checkpoint(path)
        // Claims to hold nothing after 2026-06-01, so that an as-of of 2026-06-30 would take it.
        checkpoint.fields[6] = "20605"
        writeBytes(
            Array((checkpoint.fields.joined(separator: "\t") + "\n").utf8) + checkpoint.payload,
            to: path)
        let traces = log.expectSameAnswer(["due", "--as-of", "2026-06-30"], "an edited coverage")
        #expect(traces.contains("checkpoint all: not used"), "\(traces)")
        #expect(!traces.contains("checkpoint all: used"), "\(traces)")
    }

    @Test(
        "a checkpoint's stamp moved back or forward to another line of the log: not used, nothing folded twice or left out"
    )
    func movedStamp() {
        let log = Log()
        #expect(log.append(Self.reopened).status == 0)
        log.removeCheckpoints()
        log.expectSameAnswer(["families"], "a checkpoint at the head")
        let path = log.path + ".fold-families"
        let lines = log.lines
        // Back before the three events the checkpoint holds: they would be folded twice.
        var back = Checkpoint(path)
        let earlier = lines[lines.count - 4]
        let earlierSeq = lines.count - 3
        back.fields[2] = String(earlierSeq)
        back.fields[3] = String(earlier.end)
        back.fields[4] = String(earlier.text.split(separator: "\"hash\":\"")[1].prefix(64))
        back.forge(to: path)
        var traces = log.expectSameAnswer(["families"], "a stamp moved back")
        #expect(traces.contains("checkpoint families: not used"), "\(traces)")

        // Forward: a checkpoint from before three appends claims to hold them.
        log.removeCheckpoints()
        log.expectSameAnswer(["families"], "a fresh checkpoint")
        #expect(
            log.append(
                Self.reopened.map {
                    $0.replacing("F-RI1", with: "F-RI2").replacing("\"ri-", with: "\"ri2-")
                }
            ).status == 0)
        var forward = Checkpoint(path)
        let head = log.lines[log.lines.count - 1]
        forward.fields[2] = String(log.lines.count)
        forward.fields[3] = String(head.end)
        forward.fields[4] = String(head.text.split(separator: "\"hash\":\"")[1].prefix(64))
        forward.forge(to: path)
        traces = log.expectSameAnswer(["families"], "a stamp moved forward")
        #expect(traces.contains("checkpoint families: not used"), "\(traces)")
    }

    @Test("a checkpoint made by a build whose fold means something else: not used, and replaced")
    func otherMeaning() {
        let log = Log()
        log.expectSameAnswer(["families"], "first query")
        let path = log.path + ".fold-families"
        var checkpoint = Checkpoint(path)
        #expect(checkpoint.fields.count == 13, "the header carries the fold's fingerprint")
        guard checkpoint.fields.count == 13 else { return }
        let meaning = checkpoint.fields[9]
        #expect(meaning.count == 64)
        // Another build: its fold's fingerprint differs, and its checksum is right for what it wrote.
        checkpoint.fields[9] = String(repeating: "0", count: 64)
        checkpoint.reseal(to: path)
        let traces = log.expectSameAnswer(["families"], "another build's checkpoint")
        #expect(
            traces.contains(
                "checkpoint families: not used: made by a build whose fold means something else"),
            "\(traces)")
        #expect(traces.contains("checkpoint families: kept at seq"), "\(traces)")
        #expect(Checkpoint(path).fields[9] == meaning, "replaced by this build's")
        #expect(
            log.expectSameAnswer(["families"], "the new checkpoint").contains(
                "checkpoint families: used from seq"))
    }

    /// The log with one line's data edited by hand (a child's name), keeping it valid JSON; the seq of that line
    /// and its family.
    static func editData(of log: Log, line index: Int) -> (seq: Int, family: String) {
        var lines = readLines(log.path)
        let line = lines[index]
        guard let data = line.firstRange(of: #","data":{"#) else { return (0, "") }
        // The first letter after the data's opening: a member name's first character changed to another letter.
        var characters = Array(line)
        let at = line.distance(from: line.startIndex, to: data.upperBound) + 1
        characters[at] = characters[at] == "q" ? "z" : "q"
        lines[index] = String(characters)
        writeBytes(Array(lines.map { $0 + "\n" }.joined().utf8), to: log.path)
        let family =
            line.split(separator: "\"stream\":\"family:").dropFirst().first.map {
                String($0.prefix { $0 != "\"" })
            } ?? ""
        return (index + 1, family)
    }

    @Test(
        "a line edited by hand in the middle of the log: families, due and timeline stop at its seq, exit 1"
    )
    func editedLine() throws {
        let log = Log()
        log.removeCheckpoints()
        let count = readLines(log.path).count
        let index = try #require(
            (count / 2..<count).first { readLines(log.path)[$0].contains("\"stream\":\"family:") })
        let (seq, family) = Self.editData(of: log, line: index)
        for arguments in [
            ["families"], ["due"], ["timeline", family], ["caseload"], ["pbr"],
            ["monthly", "--month", "2026-10"],
        ] {
            let result = log.run(arguments + ["--format", "json"])
            #expect(result.status == 1, "\(arguments[0]): \(result.stderr)")
            #expect(
                result.stderr.contains("the log's chain breaks at seq \(seq): "),
                "\(arguments[0]): \(result.stderr)")
            #expect(
                result.stderr.contains("run `ledger verify`"), "\(arguments[0]): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(arguments[0]) answered")
        }
        let rebuilt = log.run(["rebuild", "--out", log.directory.file("site")])
        #expect(
            rebuilt.status == 1 && rebuilt.stderr.contains("chain breaks at seq \(seq)"),
            "\(rebuilt.stderr)")
        let verify = log.run(["verify"])
        #expect(verify.status == 1 && verify.stderr.contains("seq \(seq)"), "\(verify.stderr)")
    }

    @Test(
        "a line edited by hand: export stops at its seq, exit 1, and leaves no folder and no rows behind"
    )
    func editedLineExport() throws {
        let log = Log()
        let count = readLines(log.path).count
        let index = try #require(
            (count / 2..<count).first { readLines(log.path)[$0].contains("\"stream\":\"family:") })
        let (seq, _) = Self.editData(of: log, line: index)
        let out = log.directory.file("export")
        let result = log.run(["export", "--out", out])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(
            result.stderr.contains("the log's chain breaks at seq \(seq): "), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        // Nothing of the log's rows is left on disk: neither the export nor the folder it was written in.
        #expect(fileNames(in: log.directory.path).filter { $0.hasPrefix("export") } == [])
    }

    @Test("a line edited after the checkpoint: the read from the checkpoint stops at its seq too")
    func editedLineAfterCheckpoint() {
        let log = Log()
        log.expectSameAnswer(["families"], "first query")
        #expect(log.append(Self.reopened).status == 0)
        let (seq, _) = Self.editData(of: log, line: readLines(log.path).count - 2)
        let result = log.run(["families", "--format", "json"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(
            result.stderr.contains("the log's chain breaks at seq \(seq): "), "\(result.stderr)")
    }

    @Test(
        "a last line edited by hand: append refuses to extend the chain, and the log is left as it was"
    )
    func appendRefuses() {
        let log = Log()
        let count = readLines(log.path).count
        let (seq, _) = Self.editData(of: log, line: count - 1)
        let before = readBytes(log.path)
        let result = log.append([Self.reopened[0]])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(
            result.stderr.contains("the log's chain breaks at seq \(seq): "), "\(result.stderr)")
        #expect(readBytes(log.path) == before)
    }
}
