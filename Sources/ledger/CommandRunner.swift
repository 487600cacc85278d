import EventLog
import LedgerCore
import LedgerEngine

/// Dispatches `ledger COMMAND …` and maps errors to exit statuses.
enum CommandRunner {
    struct Command: Sendable {
        let name: String
        let summary: String
        let help: String
        let run: @Sendable ([String]) throws -> ExitStatus
    }

    static let commands: [Command] =
        WriteCommands.all + ReadCommands.all + RetentionCommands.all + AccessCommands.all
        + IntegrationCommands.all
        + [CorrectCommand.command, DemoCommand.command]

    /// This build's version, and the log format it writes (`ledger --version`).
    static let version = """
        ledger 0.9.0
        log format: JSON lines with a SHA-256 hash chain and salted dataHash (EVENTS.md §1); redaction-ready
        actors: registered workers and systems (EVENTS.md §2); catalogue of \(Catalogue.names.count) event types
        """

    static let overview = """
        ledger: an event-sourced case ledger for Early Help and Family Support.

        usage: ledger COMMAND [options]    (ledger COMMAND --help for each)

        Every command reads the log at --log PATH (default $LEDGER_LOG, else ./ledger.jsonl).
        Exit status: 0 done, 1 input or log refused or failed verification, 2 usage error.

        commands:
        """

    static func run(_ arguments: [String]) -> ExitStatus {
        if arguments.first == "--version" {
            Console.out(version + "\n")
            return .done
        }
        guard let name = arguments.first, name != "--help", name != "-h", name != "help" else {
            if arguments.count >= 2,
                let command = commands.first(where: { $0.name == arguments[1] })
            {
                Console.out(command.help + "\n")
                return .done
            }
            Console.out(overview + "\n")
            for command in commands {
                let padding = String(repeating: " ", count: max(1, 11 - command.name.count))
                Console.out("  \(command.name)\(padding)\(command.summary)\n")
            }
            return arguments.isEmpty ? .usage : .done
        }
        guard let command = commands.first(where: { $0.name == name }) else {
            Console.errLine("ledger: unknown command \"\(name)\" (ledger --help lists them)")
            return .usage
        }
        let rest = Array(arguments.dropFirst())
        if let log = loggedPath(rest), let warning = PendingRedaction.warning(log: log),
            name != "redact"
        {
            Console.errLine(warning)
        }
        if rest.contains("--help") || rest.contains("-h") {
            // `ledger record TYPE --help` lists that type's fields.
            if name == "record", let type = rest.first, let help = RecordBuilder.help(for: type) {
                Console.out(help + "\n")
                return .done
            }
            Console.out(command.help + "\n")
            return .done
        }
        do {
            let status = try command.run(rest)
            // A command that showed a family's record succeeds only once its access is on record.
            try AccessAudit.confirm()
            return status
        } catch let error as AccessLogError {
            Console.errLine("ledger \(name): \(error)")
            return .refused
        } catch let error as UsageError {
            Console.errLine("ledger \(name): \(error.message) (ledger \(name) --help)")
            return .usage
        } catch let error as ValidationError {
            Console.errLine("ledger \(name): refused: \(error)")
            return .refused
        } catch let error as VerifyFailure {
            Console.errLine("ledger \(name): FAILED: \(error)")
            return .refused
        } catch let error as EventLogError {
            Console.errLine("ledger \(name): \(error)")
            return .refused
        } catch let error as PolicyError {
            Console.errLine("ledger \(name): policy refused: \(error)")
            return .refused
        } catch {
            Console.errLine("ledger \(name): \(error)")
            return .refused
        }
    }

    /// The log a command's raw arguments name, as `logPath` reads it (nil when they cannot be read yet).
    static func loggedPath(_ raw: [String]) -> String? {
        if let index = raw.firstIndex(of: "--log") {
            return index + 1 < raw.count ? raw[index + 1] : nil
        }
        if let given = raw.first(where: { $0.hasPrefix("--log=") }) {
            return String(given.dropFirst("--log=".count))
        }
        return Console.environment("LEDGER_LOG") ?? "ledger.jsonl"
    }

    /// The log path: --log, else $LEDGER_LOG, else ./ledger.jsonl.
    static func logPath(_ arguments: Arguments) -> String {
        arguments.value("log") ?? Console.environment("LEDGER_LOG") ?? "ledger.jsonl"
    }

    /// The environment: the clock and the system's random source. A debug build (the tests') lets LEDGER_NOW (and
    /// LEDGER_SEED) pin the clock, the ids and the salts for reproducible runs; a release build never does: a
    /// clock anyone could set would date access-log entries as they liked and end retention early, and salts made
    /// from a known seed would let a redacted payload be confirmed from its kept `dataHash` (DATA-PROTECTION.md).
    static func environment() throws -> LedgerEnvironment {
        #if DEBUG
            guard let now = Console.environment("LEDGER_NOW") else { return .live }
            guard let instant = Timestamp(rfc3339: now) else {
                throw UsageError(
                    message: "LEDGER_NOW must be an RFC 3339 date-time, not \"\(now)\"")
            }
            let seed = Console.environment("LEDGER_SEED").flatMap { UInt64($0) } ?? 1
            return .deterministic(now: instant, seed: seed)
        #else
            return .live
        #endif
    }

    /// The test hooks a release build ignores, each named once on standard error when set, so that no one takes
    /// their effect for granted.
    static let testHooks = ["LEDGER_NOW", "LEDGER_SEED", "LEDGER_FAULT"]
}
