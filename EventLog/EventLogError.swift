/// Everything the storage engine can refuse or fail at.
public enum EventLogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The log file does not exist.
    case missing(path: String)
    /// `init` on a path that already exists.
    case alreadyExists(path: String)
    /// The log path is a symbolic link; the ledger will not follow it.
    case symlink(path: String)
    /// The last line has no newline: a write was cut off.
    case tornTail(path: String, bytes: Int)
    /// A stored line is not in the line format.
    case malformedLine(seq: Int?, lineNumber: Int, problem: String)
    /// The chain or a hash does not verify.
    case chainBroken(seq: Int, lineNumber: Int, problem: String)
    /// A system call failed.
    case system(SystemCallError)

    public var description: String {
        switch self {
        case .missing(let path): "no log at \(path): create one with `ledger init`"
        case .alreadyExists(let path): "\(path) already exists; the ledger never overwrites a log"
        case .symlink(let path): "\(path) is a symbolic link; the ledger refuses to follow it (point --log at the file)"
        case .tornTail(let path, let bytes):
            "\(path) ends with a torn line (\(bytes) bytes without a newline, left by a crash): run `ledger recover`"
        case .malformedLine(let seq, let lineNumber, let problem):
            "line \(lineNumber)\(seq.map { " (seq \($0))" } ?? ""): \(problem)"
        case .chainBroken(let seq, let lineNumber, let problem): "seq \(seq) (line \(lineNumber)): \(problem)"
        case .system(let error): error.description
        }
    }
}
