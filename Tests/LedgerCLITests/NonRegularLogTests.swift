import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `--log` naming something that is not a regular file: every command refuses it at once, with exit 1 and a
/// message saying so, without hanging on a FIFO and without making anything beside it (`/dev/null.ids` in `/dev`)
/// or anywhere else (a rejects file, an output folder).
@Suite("ledger CLI: a log that is not a regular file is refused by every command")
struct NonRegularLogTests {
    /// Runs `ledger` with a deadline: the status, stderr, and whether it had to be killed.
    static func run(
        _ arguments: [String], environment: [String: String] = [:],
        in directory: TemporaryDirectory, stdin: String,
        seconds: Int = 10
    ) -> (status: Int32, stderr: String, hung: Bool) {
        let err = directory.file("run.err")
        let pid = Subprocess.spawn(
            [Subprocess.ledgerBinary] + arguments,
            environment: CLIWriteTests.now.merging(environment) { $1 },
            stderrPath: err, stdinPath: stdin)
        var status: Int32 = 0
        for _ in 0..<(seconds * 100) {
            if waitpid(pid, &status, WNOHANG) == pid {
                return (
                    (status >> 8) & 0xFF, String(decoding: readBytes(err), as: UTF8.self), false
                )
            }
            Subprocess.sleep(microseconds: 10_000)
        }
        Subprocess.kill(pid)
        _ = Subprocess.wait(pid)
        return (-1, String(decoding: readBytes(err), as: UTF8.self), true)
    }

    /// Every command that takes `--log`, with the arguments it needs to get as far as the log.
    static func commands(_ directory: TemporaryDirectory) -> [[String]] {
        [
            ["init"], ["append", directory.file("in.jsonl")], ["append"],
            ["ingest", directory.file("in.jsonl"), "--rejects", directory.file("rejects.jsonl")],
            [
                "record", "visit.completed", "--family", "F-1", "--actor", "w-017", "--role", "fsw",
                "--kind", "home",
            ],
            ["verify"], ["recover"], ["head"], ["families"], ["families", "--from-scratch"],
            ["caseload"],
            ["timeline", "F-1"], ["due"], ["pbr"], ["monthly", "--month", "2026-02"],
            ["rebuild", "--out", directory.file("site")],
        ]
    }

    @Test("a FIFO, a symlink to /dev/null and a character device: exit 1 at once, nothing made")
    func refused() throws {
        let directory = TemporaryDirectory()
        let input = directory.file("in.jsonl")
        writeBytes(Array((Events.staff[0] + "\n").utf8), to: input)
        #expect(mkfifo(directory.file("fifo"), 0o600) == 0)
        #expect(symlink("/dev/null", directory.file("null-link")) == 0)
        var logs = [
            (directory.file("fifo"), "FIFO"), (directory.file("null-link"), "symbolic link"),
        ]
        // The device /dev/null is (major 1, minor 3), made in the test's own folder where the test may (as root, with CAP_MKNOD).
        if mknod(directory.file("null"), S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0 {
            logs.append((directory.file("null"), "character device"))
        }
        let before = fileNames(in: directory.path)
        for (log, kind) in logs {
            for command in Self.commands(directory) {
                let result = Self.run(command + ["--log", log], in: directory, stdin: input)
                #expect(!result.hung, "\(command) on a \(kind) hung")
                #expect(result.status == 1, "\(command) on a \(kind): \(result.stderr)")
                #expect(result.stderr.contains(kind), "\(command) on a \(kind): \(result.stderr)")
                let now = fileNames(in: directory.path).filter { $0 != "run.err" }
                #expect(
                    now == before, "\(command) on a \(kind) made \(Set(now).subtracting(before))")
            }
        }
        // Through $LEDGER_LOG too.
        let viaEnvironment = Self.run(
            ["families"], environment: ["LEDGER_LOG": directory.file("fifo")], in: directory,
            stdin: input)
        #expect(
            viaEnvironment.status == 1 && viaEnvironment.stderr.contains("FIFO"),
            "\(viaEnvironment.stderr)")
    }

    @Test("--log /dev/null itself: refused, and nothing made in /dev")
    func devNull() {
        let directory = TemporaryDirectory()
        let input = directory.file("in.jsonl")
        writeBytes(Array((Events.staff[0] + "\n").utf8), to: input)
        let beside = [".ids", ".lock", ".state", ".state-delta", ".fold-all"].map {
            "/dev/null" + $0
        }
        let there = beside.filter { access($0, F_OK) == 0 }
        for command in [
            ["append", input], ["families"], ["verify"],
            ["rebuild", "--out", directory.file("site")],
        ] {
            let result = Self.run(command + ["--log", "/dev/null"], in: directory, stdin: input)
            #expect(
                result.status == 1 && result.stderr.contains("character device"),
                "\(command): \(result.stderr)")
        }
        #expect(beside.filter { access($0, F_OK) == 0 } == there, "files made beside /dev/null")
        #expect(access(directory.file("site"), F_OK) != 0)
    }
}
