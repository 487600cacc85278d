#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore

/// One entry of the access log: who looked at which family's record, when, with which command.
public struct AccessEntry: Sendable, Equatable {
    /// Its place in the access log, from 1.
    public var seq: Int
    /// When (RFC 3339, UTC).
    public var at: String
    /// The operating-system user who ran the command.
    public var user: String
    /// The person named with `--viewer` or `$LEDGER_VIEWER`, when one was.
    public var viewer: String?
    /// The command (`timeline`, `export-family`, `families`, …).
    public var command: String
    /// The family shown; nil for a bulk command (`rebuild`, `families` without `--family`).
    public var family: String?

    /// The `ledger access` row: seq, at, user, viewer, command, family (null for a bulk command).
    public var row: JSONObject {
        JSONObject([
            JSONMember("seq", .int(seq)), JSONMember("at", .string(at)),
            JSONMember("user", .string(user)),
            JSONMember("viewer", viewer.map(JSONValue.string) ?? .null),
            JSONMember("command", .string(command)),
            JSONMember("family", family.map(JSONValue.string) ?? .null),
        ])
    }
}

/// Why the access log could not be written or read.
public enum AccessLogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An entry could not be appended: the read it was for must not go ahead (DATA-PROTECTION.md, access audit).
    case unwritable(path: String, reason: String)
    /// The chain or an entry does not verify: the first bad entry, by the seq it should have had.
    case broken(path: String, seq: Int, line: Int, problem: String)

    public var description: String {
        switch self {
        case .unwritable(let path, let reason):
            "cannot record this access in the access log \(path) (\(reason)): nothing was shown, because a read"
                + " of a family's record that is not audited is not allowed; fix the access log (its permissions,"
                + " the disk space, `ledger verify`) and run the command again"
        case .broken(let path, let seq, let line, let problem):
            "the access log \(path) fails at its first bad entry, seq \(seq) (line \(line)): \(problem)"
        }
    }
}

/// The access log `<log>.access` (DATA-PROTECTION.md, access audit): one entry per command that showed a family's
/// record, and one per bulk command.
///
/// Each entry is a stored line in the event log's own line format (EVENTS.md §1), so the same code writes it and
/// checks its chain: `seq` from 1, `prev` the hash of the entry before, `hash` over the body, a salted `dataHash`
/// over its data. Its `type` is `record.accessed`, its `stream` the family shown (`family:<ref>`) or `org` for a
/// bulk command, `occurredAt` and `recordedAt` the moment (UTC), `actor` the operating-system user (role
/// `os-user`), and `data` holds `command` and, when given, `viewer`. It is appended as the event log is, under an
/// `flock` on the access file itself (never the log's writers' lock, which a long ingest may hold), `fsync`ed
/// before it counts, and created owner-only.
public struct AccessLog: Sendable {
    /// The type of every entry.
    public static let type = "record.accessed"
    /// The longest wait for another reader's append, in seconds, before the read fails closed.
    public static let lockWait = 5.0

    /// The access log's path.
    public let path: String

    /// The access log beside the log at `logPath`.
    public init(logPath: String) { path = logPath + ".access" }

    /// Whether it exists.
    public var exists: Bool { LedgerFile(path: path).exists }

    /// Appends one entry durably: `command` showed `family` (nil: a bulk command) to the operating-system `user`,
    /// for `viewer`. Creates the file (owner-only) if it is missing; moves a torn last line (a crash in an earlier
    /// append, never acknowledged) to a side file first, as `ledger recover` does for the log.
    public func record(
        command: String, family: String?, user: String, viewer: String?,
        environment: LedgerEnvironment
    )
        throws(AccessLogError)
    {
        let file = LedgerFile(path: path)
        do {
            if !file.exists {
                do { try file.create() } catch {
                    if case .alreadyExists = error {} else { throw error }
                }
            }
            try file.withLock(waitingAtMost: Self.lockWait) { locked in
                if locked.tornBytes > 0 { _ = try locked.recover() }
                let now = environment.now().rfc3339
                var data = JSONObject([JSONMember("command", .string(command))])
                if let viewer { data["viewer"] = .string(viewer) }
                let content = RecordContent(
                    id: environment.makeUUID(), stream: family.map { "family:\($0)" } ?? "org",
                    type: Self.type,
                    occurredAt: now, actor: ["id": .string(user), "role": "os-user"],
                    data: .object(data))
                let seq = locked.head.seq + 1
                let (line, hash) = LineFormat.encode(
                    content, seq: seq, recordedAt: now, prev: locked.head.hash,
                    salt: environment.makeSalt())
                try locked.append(
                    line,
                    newHead: LogHead(seq: seq, hash: hash, size: locked.head.size + line.count))
            }
        } catch let error as EventLogError {
            if case .system(let system) = error, system.call == "flock" {
                throw .unwritable(
                    path: path,
                    reason:
                        "another process has held its lock for over \(Int(Self.lockWait)) seconds")
            }
            throw .unwritable(path: path, reason: error.description)
        } catch {
            throw .unwritable(path: path, reason: "\(error)")
        }
    }

    /// What a read of the whole access log found.
    public struct Summary: Sendable, Equatable {
        /// Entries read, every one in the chain.
        public var entries: Int
        /// Bytes after the last newline: an append cut off by a crash, never acknowledged (so no read it was for
        /// showed anything), moved aside by the next append.
        public var tornBytes: Int
        /// The hash of each entry by seq (`ledger head --access` prints the last; `verify --expect-access-head`
        /// checks one written down earlier, which catches entries cut off the end).
        public var hashes: [String] = []
    }

    /// Reads every entry in order, checking the chain as it goes (each entry's hashes recomputed, seq contiguous,
    /// `prev` linked) and that each is an access entry; stops at the first bad one, naming its seq.
    @discardableResult
    public func read(_ body: (AccessEntry) throws -> Void = { _ in }) throws -> Summary {
        var chain = HashChain()
        var scanner = LineScanner()
        var torn = 0
        var count = 0
        var hashes: [String] = []
        do {
            try LogReader(path: path).forEachLine { line, position, info in
                guard info.complete else {
                    torn = info.length
                    return
                }
                let broken = { (problem: String) in
                    AccessLogError.broken(
                        path: path, seq: chain.expectedSeq, line: position.lineNumber,
                        problem: problem)
                }
                var record: LedgerRecord?
                let link: ChainLink
                if info.tooLong {
                    link = ChainLink(unreadable: "line longer than 1 MiB")
                } else {
                    do {
                        let decoded = try LineFormat.decode(line, scanner: &scanner)
                        record = decoded
                        link = ChainLink(decoded, line: line)
                    } catch {
                        link = ChainLink(unreadable: "not in the line format: \(error)")
                    }
                }
                do throws(ChainBreak) { try chain.accept(link) } catch {
                    throw AccessLogError.broken(
                        path: path, seq: error.seq, line: position.lineNumber,
                        problem: error.problem)
                }
                guard let record else { throw broken("not in the line format") }
                let entry = try Self.entry(record, broken: broken)
                count += 1
                hashes.append(record.hash)
                try body(entry)
            }
        } catch let error as AccessLogError {
            throw error
        } catch let error as SystemCallError where error.errno == ENOENT {
            // No access log yet: nobody has looked at anything.
            return Summary(entries: 0, tornBytes: 0)
        }
        return Summary(entries: count, tornBytes: torn, hashes: hashes)
    }

    /// The entry a chained line holds, or why it is not an access entry.
    static func entry(_ record: LedgerRecord, broken: (String) -> AccessLogError)
        throws(AccessLogError) -> AccessEntry
    {
        let content = record.content
        guard content.type == type else {
            throw broken("type is \"\(content.type)\", not \"\(type)\"")
        }
        guard let data = content.data.objectValue, let command = data["command"]?.stringValue else {
            throw broken("data.command: missing or not a string")
        }
        guard let user = content.actor.objectValue?["id"]?.stringValue else {
            throw broken("actor.id: missing or not a string")
        }
        let family: String?
        if content.stream == "org" {
            family = nil
        } else if content.stream.hasPrefix("family:") {
            family = String(content.stream.dropFirst(7))
        } else {
            throw broken("stream \"\(content.stream)\" is neither org nor a family")
        }
        return AccessEntry(
            seq: record.seq, at: record.recordedAt, user: user, viewer: data["viewer"]?.stringValue,
            command: command,
            family: family)
    }
}
