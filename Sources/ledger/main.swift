#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerQueries

/// Exit statuses (PROJECTIONS.md): 0 done, 1 refused or failed verification, 2 usage error.
enum ExitStatus: Int32 {
    case done = 0
    case refused = 1
    case usage = 2
}

#if DEBUG
    // A test adds a rule to a type's declaration ("TYPE RULE ARGS…", see `Catalogue.testRule`), before the
    // catalogue is first read. Debug builds only.
    if let text = Console.environment("LEDGER_TEST_TYPE_RULE") {
        let words = text.split(separator: " ").map(String.init)
        if let type = words.first, let rule = Catalogue.testRule(Array(words.dropFirst())) {
            Catalogue.testRules[type, default: []].append(rule)
        }
    }
#endif
// A write past the file-size limit (`ulimit -f`) fails with EFBIG, as a full disk fails with ENOSPC, so the
// command takes back what it half-wrote and says why; by default the kernel would kill the process mid-write,
// leaving an unacknowledged batch's first lines whole in the log for `recover` to keep.
signal(SIGXFSZ, SIG_IGN)
#if !DEBUG
    for hook in CommandRunner.testHooks where Console.environment(hook) != nil {
        Console.errLine("ledger: \(hook) is a test hook that only debug builds honour: ignored")
    }
#endif
let arguments = Array(CommandLine.arguments.dropFirst())
if Console.environment("LEDGER_TRACE") != nil {
    FoldCheckpoint.tracer = { Console.err($0) }
}
let status = CommandRunner.run(arguments)
Console.flush()
if let error = Console.outputError {
    // What was printed is incomplete: a script reading it must not take it for the whole answer.
    Console.err("ledger: could not write to standard output: \(String(cString: strerror(error)))")
    exit(ExitStatus.refused.rawValue)
}
exit(status.rawValue)
