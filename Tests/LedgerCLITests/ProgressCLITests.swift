import EventLog
import Foundation
import LedgerTestSupport
import Testing

/// Issue 20: long work shows progress on standard error when it is a terminal, a line redrawn at most four times a
/// second and cleared at the end; when it is not (a pipe, a file, CI), standard error and standard output are
/// byte for byte what they were.
@Suite("ledger CLI: progress on a terminal, nothing else changed")
struct ProgressCLITests {
    /// What a terminal shows once progress is taken out: each progress line (`\r ESC[K` and its text, followed by
    /// another) removed, then the clearing sequences left before messages, and CR LF read as LF.
    static func withoutProgress(_ text: String) -> String {
        text.replacing(/\r\u{1B}\[K[^\r\n]*(?=\r\u{1B}\[K)/, with: "")
            .replacing("\r\u{1B}[K", with: "").replacing("\r\n", with: "\n")
    }

    /// The progress lines a terminal was shown.
    static func progressLines(_ text: String) -> [Substring] {
        text.matches(of: /\r\u{1B}\[K([^\r\n]+)(?=\r\u{1B}\[K)/).map(\.output.1)
    }

    /// A command to run twice, in two fresh folders alike: `prepare` makes what it needs in a folder.
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var prefix: String
        var arguments: @Sendable (TemporaryDirectory) -> [String]
        var prepare: @Sendable (TemporaryDirectory) -> Void = { _ in }
    }

    static func initialized(_ directory: TemporaryDirectory) {
        let result = Subprocess.ledger(
            ["init", "--log", directory.file("ledger.jsonl"), "--system", "hr:hr-feed"],
            environment: CLIWriteTests.now, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
    }

    static func filled(_ directory: TemporaryDirectory) {
        initialized(directory)
        let result = Subprocess.ledger(
            ["append", "--log", directory.file("ledger.jsonl")], environment: CLIWriteTests.now,
            stdin: CLIWriteTests.events(families: 600).joined(separator: "\n") + "\n", in: directory
        )
        #expect(result.status == 0, "\(result.stderr)")
    }

    static let cases: [Case] = [
        Case(description: "demo", prefix: "demo: ") {
            ["demo", "--families", "30", "--out", $0.file("d")]
        },
        Case(
            description: "ingest", prefix: "ingest ",
            arguments: { ["ingest", $0.file("feed.jsonl"), "--log", $0.file("ledger.jsonl")] },
            prepare: { directory in
                initialized(directory)
                let lines = CLIWriteTests.events(families: 1_200).joined(separator: "\n") + "\n"
                writeBytes(Array(lines.utf8), to: directory.file("feed.jsonl"))
            }),
        Case(
            description: "verify", prefix: "verify: ",
            arguments: { ["verify", "--log", $0.file("ledger.jsonl")] }, prepare: filled),
        Case(
            description: "rebuild", prefix: "rebuild: ",
            arguments: {
                [
                    "rebuild", "--out", $0.file("site"), "--log", $0.file("ledger.jsonl"),
                    "--as-of", "2026-06-01",
                ]
            },
            prepare: filled),
    ]

    @Test(
        "on a terminal: progress shown and cleared; to a file: none, and the same output",
        arguments: cases)
    func progress(command: Case) throws {
        let plain = TemporaryDirectory()
        command.prepare(plain)
        let toFile = Subprocess.ledger(
            command.arguments(plain), environment: CLIWriteTests.now, in: plain)
        #expect(toFile.status == 0, "\(toFile.stderr)")
        #expect(
            !toFile.stderr.contains("\r") && !toFile.stderr.contains("\u{1B}"), "\(toFile.stderr)")

        let shown = TemporaryDirectory()
        command.prepare(shown)
        let onTerminal = try #require(
            Subprocess.ledgerOnTerminal(
                command.arguments(shown), environment: CLIWriteTests.now, in: shown))
        #expect(onTerminal.status == 0, "\(onTerminal.stderr)")
        let lines = Self.progressLines(onTerminal.stderr)
        #expect(
            !lines.isEmpty && lines.allSatisfy { $0.hasPrefix(command.prefix) },
            "\(onTerminal.stderr)")
        // Cleared at the end: the last progress line is followed by a clearing sequence before anything else.
        #expect(
            Self.withoutProgress(onTerminal.stderr).replacing(shown.path, with: plain.path)
                == toFile.stderr)
        #expect(onTerminal.stdout.replacing(shown.path, with: plain.path) == toFile.stdout)
    }

    @Test("the demo's daily progress is redrawn at most four times a second, not once a day")
    func rateLimited() throws {
        let directory = TemporaryDirectory()
        let result = try #require(
            Subprocess.ledgerOnTerminal(
                ["demo", "--families", "30", "--out", directory.file("d")], in: directory))
        #expect(result.status == 0)
        let daily = Self.progressLines(result.stderr).filter {
            $0.contains("events recorded, up to")
        }
        // A year of days, each reported to the throttle; few of them shown (a debug build runs this in seconds).
        #expect(daily.count < 120, "\(daily.count) updates")
        let days = Set(daily.map { $0.suffix(10) })
        #expect(days.count == daily.count, "each update a later day")
    }

    @Test(
        "the throttle: the first update at once, then one per quarter second; a new stage at once")
    func throttle() {
        var throttle = ProgressThrottle()
        let ms: UInt64 = 1_000_000
        var answers: [Bool] = []
        for at: UInt64 in [1_000, 1_100, 1_249, 1_250] {
            answers.append(throttle.allows(at: at * ms))
        }
        throttle.shown(at: 1_300 * ms)
        for at: UInt64 in [1_500, 1_550] { answers.append(throttle.allows(at: at * ms)) }
        #expect(answers == [true, false, false, true, false, true])
        // Four a second at most, however often asked.
        var again = ProgressThrottle()
        let shown = stride(from: UInt64(0), to: 1_000 * ms, by: Int(ms)).filter {
            again.allows(at: $0)
        }
        #expect(shown.count == 4)
    }
}
