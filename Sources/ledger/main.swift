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
