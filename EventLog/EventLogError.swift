/// Everything the storage engine can refuse or fail at.
public enum EventLogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The log file does not exist.
    case missing(path: String)
    /// `init` on a path that already exists.
    case alreadyExists(path: String)
    /// The log path is a symbolic link; the ledger will not follow it.
    case symlink(path: String)
    /// The log path names something other than a regular file (a FIFO, a device, a directory).
    case notRegularFile(path: String, kind: String)
    /// The log has more than one name (a hard link): a writer's lock on one name would not stop a writer on
    /// another, so the ledger refuses it.
    case hardLinked(path: String, links: Int)
    /// The log's name came to point at another file (renamed over, removed) while a writer held it.
    case replaced(path: String)
    /// The last line has no newline: a write was cut off.
    case tornTail(path: String, bytes: Int)
    /// A stored line is not in the line format.
    case malformedLine(seq: Int?, lineNumber: Int, problem: String)
    /// The chain or a hash does not verify: the first bad line, by the seq it should have had (its position).
    case chainBroken(seq: Int, lineNumber: Int, problem: String)
    /// A system call failed.
    case system(SystemCallError)

    public var description: String {
        switch self {
        case .missing(let path): "no log at \(path): create one with `ledger init`"
        case .alreadyExists(let path): "\(path) already exists; the ledger never overwrites a log"
        case .symlink(let path):
            "\(path) is a symbolic link; the ledger refuses to follow it (point --log at the file)"
        case .notRegularFile(let path, let kind):
            "\(path) is \(kind), not a regular file: a log must be a file (point --log at one)"
        case .hardLinked(let path, let links):
            "\(path) has \(links) names (hard links); the ledger refuses a log it cannot lock alone: keep one name"
                + " (remove the other links) or copy it"
        case .replaced(let path):
            "\(path) was replaced or removed while it was being written; nothing was acknowledged after that:"
                + " check the file at that path and run `ledger verify`"
        case .tornTail(let path, let bytes):
            "\(path) ends with a torn line (\(bytes) bytes without a newline, left by a crash): run `ledger recover`"
        case .malformedLine(let seq, let lineNumber, let problem):
            "line \(lineNumber)\(seq.map { " (seq \($0))" } ?? ""): \(problem)"
        case .chainBroken(let seq, _, let problem):
            "the log's chain breaks at seq \(seq): \(problem); run `ledger verify`"
        case .system(let error): error.description
        }
    }
}
