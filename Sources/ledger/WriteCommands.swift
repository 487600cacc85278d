import EventLog
import LedgerCore
import LedgerEngine

/// The write side: init, append, ingest, record, verify, recover, head.
enum WriteCommands {
    static let all: [CommandRunner.Command] = [
        .init(
            name: "init", summary: "create an empty log with a policy adopted as event 1",
            help: initHelp, run: initialize),
        .init(
            name: "append", summary: "validate and append events (JSON lines): all or nothing",
            help: appendHelp, run: append),
        .init(
            name: "ingest",
            summary: "bulk append from another system; refused lines go to --rejects",
            help: ingestHelp, run: ingest),
        .init(
            name: "record", summary: "record one event from flags, at a terminal", help: recordHelp,
            run: record),
        .init(
            name: "verify", summary: "recompute the hash chain and re-validate every event",
            help: verifyHelp, run: verify),
        .init(
            name: "recover",
            summary: "repair a torn last line left by a crash (the bytes are kept)",
            help: recoverHelp, run: recover),
        .init(
            name: "head", summary: "print the last seq and hash, to anchor the log", help: headHelp,
            run: head),
    ]

    static let initHelp = """
        usage: ledger init [--policy PROFILE|FILE] [--effective-from DATE] [--system ID[:PURPOSE]]… [--log PATH]

        Creates an empty log (owner-only) whose event 1 is policy.adopted. PROFILE is one of:
          \(PolicyProfiles.names.joined(separator: ", "))
        (default warwickshire-fsw); FILE is a JSON file holding a whole policy object.
        --effective-from defaults to 1990-01-01, so the policy judges all the history you ingest;
        adopt a later policy with a policy.adopted event and its own effectiveFrom.
        --system registers a system (an HR feed, data matching, a case system's export) that may then record
        events as role system, and register workers; PURPOSE is one of hr-feed, data-matching,
        case-system-export, school-attendance, other (default other). Every actor must be registered: people
        with worker.registered (by a manager or a registered system), later systems with system.registered
        (by a manager).
        """

    static func initialize(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(
            raw, flags: [], known: ["log", "policy", "effective-from", "system"],
            repeatable: ["system"])
        guard arguments.positionals.isEmpty else {
            throw UsageError(message: "unexpected \(arguments.positionals[0])")
        }
        let path = CommandRunner.logPath(arguments)
        let choice = arguments.value("policy") ?? "warwickshire-fsw"
        var data = JSONObject()
        if PolicyProfiles.profile(choice) != nil {
            data["profile"] = .string(choice)
        } else {
            guard let bytes = FileOutput.read(choice) else {
                throw UsageError(
                    message:
                        "--policy \(choice) is neither a profile (\(PolicyProfiles.names.joined(separator: ", "))) nor a readable file"
                )
            }
            let value = try JSONParser.parse(bytes)
            guard let object = value.objectValue else {
                throw PolicyError(field: "policy", rule: "must be a JSON object")
            }
            _ = try Policy(json: object)
            data["policy"] = .object(object)
        }
        let effective = arguments.value("effective-from") ?? "1990-01-01"
        guard let date = CivilDate(effective) else {
            let problem = CivilDate.problem(with: effective) ?? effective
            throw UsageError(message: "--effective-from: \(problem)")
        }
        let systems = try arguments.values("system").map {
            given -> LedgerStore.SystemRegistration in
            let parts = given.split(separator: ":", maxSplits: 1).map(String.init)
            let system = LedgerStore.SystemRegistration(
                id: parts.first ?? "", purpose: parts.count > 1 ? parts[1] : "other")
            guard Identifiers.isReference(system.id) else {
                throw UsageError(
                    message:
                        "--system: an id must be 1-64 of A-Za-z0-9._- (then :PURPOSE, optionally)")
            }
            return system
        }
        let store = LedgerStore(path: path, environment: try CommandRunner.environment())
        let summary = try store.initialize(policy: data, effectiveFrom: date, systems: systems)
        let registered =
            systems.isEmpty
            ? "" : "; systems \(systems.map(\.id).joined(separator: ", ")) registered"
        Console.errLine(
            "created \(path) with policy \(data["profile"]?.stringValue ?? "from \(choice)") from \(date)\(registered)"
        )
        Console.out("\(summary.head.seq) \(summary.head.hash)\n")
        return .done
    }

    static let appendHelp = """
        usage: ledger append [FILE|-] [--expect-version N] [--log PATH]

        Validates events given as JSON lines (from FILE, or standard input) and appends them, all or nothing:
        one refused line and nothing is written. Prints "SEQ HASH ID" for each appended event; an event whose
        id is already in the log with the same content is a duplicate (skipped, reported on stderr).
        --expect-version N: the stream of the events (one stream) must hold exactly N events now, else refused.
        A torn last line left by a crash is recovered first (the bytes are kept in a side file), and said so.
        """

    static func append(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(raw, flags: [], known: ["log", "expect-version"])
        guard arguments.positionals.count <= 1 else {
            throw UsageError(message: "give one FILE or -")
        }
        let source: InputSource =
            (arguments.positionals.first ?? "-") == "-"
            ? .standardInput : .file(arguments.positionals[0])
        if case .file(let path) = source, !isReadable(path) {
            throw UsageError(message: "cannot read \(path)")
        }
        let store = LedgerStore(
            path: CommandRunner.logPath(arguments), environment: try CommandRunner.environment())
        var printed: [String] = []
        var refusals: [ValidationError] = []
        let summary = try store.append(
            source, mode: .atomic, expectVersion: try arguments.integer("expect-version")
        ) { _, outcome, _ in
            switch outcome {
            case .appended(let seq, let hash, let id): printed.append("\(seq) \(hash) \(id)\n")
            case .duplicate(let seq, let id):
                Console.errLine("duplicate: \(id) is already seq \(seq) (skipped)")
            case .refused(let error): refusals.append(error)
            }
        }
        reportRecovery(summary)
        if summary.refused > 0 {
            for error in refusals { Console.errLine("refused: \(error)") }
            Console.err(
                "nothing appended: \(summary.refused) line\(summary.refused == 1 ? "" : "s") refused"
            )
            return .refused
        }
        for line in printed { Console.out(line) }
        return .done
    }

    static let ingestHelp = """
        usage: ledger ingest FILE… [--rejects FILE] [--batch N] [--log PATH]

        Bulk append from another system. Valid lines are appended in order (fsync per batch of N, default 4096;
        nothing is reported appended before its batch is durable), duplicates (same id, same content) skipped,
        and each refused line written to the rejects file as one JSON line
        {"file", "line", "id"?, "reason", "input"} (the input kept as text, so it can be fixed and re-ingested).
        Counts go to stderr. Exit 1 when anything was refused. The rejects file is added to, never emptied
        (earlier rejects are kept), and may not be the log, an input, or a file the ledger keeps beside the log.

        \(CSVIngest.help)
        """

    static func ingest(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(
            raw, flags: ["csv"], known: ["log", "rejects", "batch", "map"])
        if arguments.flags.contains("csv") { return try CSVIngest.run(arguments) }
        if arguments.value("map") != nil { throw UsageError(message: "--map is for --csv files") }
        guard !arguments.positionals.isEmpty else {
            throw UsageError(message: "name at least one FILE to ingest")
        }
        for path in arguments.positionals where path != "-" && !isReadable(path) {
            throw UsageError(message: "cannot read \(path)")
        }
        let batch = try arguments.integer("batch") ?? 4096
        guard batch >= 1 else { throw UsageError(message: "--batch must be at least 1") }
        let log = CommandRunner.logPath(arguments)
        let store = LedgerStore(path: log, environment: try CommandRunner.environment())
        if let path = arguments.value("rejects") {
            try checkRejects(path, log: log, inputs: arguments.positionals)
        }
        // Refusals are added to the rejects file (owner-only); what an earlier run put there is kept.
        let rejects = arguments.value("rejects").map(RejectsFile.init)
        // What the run has reported so far (an appended line is reported once it is durable), for the message of
        // a run that stops part-way.
        var reported = AppendSummary()
        var total = AppendSummary()
        for path in arguments.positionals {
            let source: InputSource = path == "-" ? .standardInput : .file(path)
            Console.progress("ingest \(path)", stage: true)
            let summary = try stopping(at: path, reported: { reported }, log: log) {
                try store.append(source, mode: .ingest(batchSize: batch)) {
                    number, outcome, input in
                    if number % 1_000 == 0 { Console.progress("ingest \(path): line \(number)") }
                    switch outcome {
                    case .appended: reported.appended += 1
                    case .duplicate: reported.duplicates += 1
                    case .refused(let error):
                        if let rejects {
                            try rejects.write(Rejects.line(file: path, error: error, input: input))
                        } else {
                            Console.errLine("refused: \(path): \(error)")
                        }
                        reported.refused += 1
                    }
                }
            }
            Console.endProgress()
            reportRecovery(summary)
            total.appended += summary.appended
            total.duplicates += summary.duplicates
            total.refused += summary.refused
            total.head = summary.head
            reported = total
        }
        return try finishIngest(total, rejects: rejects)
    }

    /// Runs one file's part of an ingest; if it stops part-way (the rejects file cannot be written, the disk is
    /// full, the input cannot be read), says first what is in the log from this run, so the sender knows where
    /// things stand: the counts reported so far (at least that many lines are durable) and the log's head now.
    /// Sending the same input again is safe: what is in the log already is skipped as a duplicate.
    static func stopping<T>(
        at path: String, reported: () -> AppendSummary, log: String, _ body: () throws -> T
    ) throws -> T {
        do {
            return try body()
        } catch {
            Console.endProgress()
            let counts = reported()
            let seq = try? LedgerFile(path: log).readHead().head.seq
            // Nothing done and no log to speak of (none there, say): the error alone says it all.
            if seq == nil && counts.appended + counts.duplicates + counts.refused == 0 {
                throw error
            }
            let head = seq.map { "seq \($0)" } ?? "unknown"
            Console.errLine(
                "ingest stopped in \(path): before it stopped, at least \(counts.appended) appended (durable), \(counts.duplicates) duplicate\(counts.duplicates == 1 ? "" : "s") skipped, \(counts.refused) refused; the log's head is \(head). Ingesting the same input again appends only what is not in the log yet"
            )
            throw error
        }
    }

    /// Ends an ingest (of JSON lines or of CSV rows): the rejects made durable, the counts on stderr, exit 1 when
    /// anything was refused.
    static func finishIngest(_ total: AppendSummary, rejects: RejectsFile?) throws -> ExitStatus {
        try rejects?.finish()
        var message =
            "ingest: \(total.appended) appended, \(total.duplicates) duplicate\(total.duplicates == 1 ? "" : "s") skipped, \(total.refused) refused"
        if total.refused > 0, let path = rejects?.path { message += " (see \(path))" }
        Console.err(message + "; head seq \(total.head.seq)")
        return total.refused > 0 ? .refused : .done
    }

    /// Refuses a rejects file that would overwrite what it must not: the log (by any name or link), an input,
    /// or a file the ledger keeps beside the log (written over, or renamed over, by the ingest itself).
    static func checkRejects(_ path: String, log: String, inputs: [String]) throws {
        if FileOutput.sameFile(path, log) {
            throw UsageError(message: "--rejects names the log itself; give another file")
        }
        for input in inputs where input != "-" && FileOutput.sameFile(path, input) {
            throw UsageError(message: "--rejects names the input \(input); give another file")
        }
        if let rejects = FileOutput.canonical(path), let logPath = FileOutput.canonical(log),
            rejects == logPath || rejects.hasPrefix(logPath + ".")
        {
            throw UsageError(
                message: "--rejects names a file the ledger keeps beside the log; give another file"
            )
        }
        // What is there already must be a rejects file: another ledger's log, or any other file, is not added to.
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw UsageError(
                message: "--rejects names \(path), which is not a regular file; give a file's name")
        }
        guard info.st_size > 0 else { return }
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var first = [UInt8](repeating: 0, count: 8)
        let count = read(descriptor, &first, first.count)
        if count < 8 || first != Array(#"{"file":"#.utf8) {
            throw UsageError(
                message:
                    "--rejects names \(path), which holds something other than rejects (its first line is not a refused line's record); give another file"
            )
        }
    }

    static let recordHelp = """
        usage: ledger record TYPE --actor ID (--family REF | --worker ID | --system ID | --org) [--on DATE]
                             [--id ID] [--actor-role ROLE] [--data JSON] [--FIELD VALUE …] [--log PATH]

        Records one event from flags. Each --FIELD VALUE sets data.FIELD (typed by the catalogue: numbers,
        true/false, comma-separated lists); a dotted name sets a member of an object
        (--familyStar.keepingSafe 7). --data gives the whole data object as JSON. --on is when it happened
        (YYYY-MM-DD or RFC 3339; default today). The actor's role is their registered role unless --actor-role
        (or --role, for a type with no role field). A type's own worker, role and id fields take --worker,
        --role and --id; its stream is then --worker-stream, the event's id --event-id. A list of objects is a
        JSON array (--members '[{…}]').
        ledger record TYPE --help lists TYPE's fields.
        Examples:
          ledger record contact.attempted --family F-102 --actor w-017 --method phone --outcome no-answer
          ledger record note.recorded --family F-102 --actor w-017 --subject "Home visit" --body "Seen with mum"
        """

    static func record(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(raw, flags: ["org"], allowAnyOption: true)
        guard arguments.positionals.count == 1 else {
            throw UsageError(message: "give exactly one TYPE")
        }
        let store = LedgerStore(
            path: CommandRunner.logPath(arguments), environment: try CommandRunner.environment())
        let event = try RecordBuilder.build(
            type: arguments.positionals[0], arguments: arguments, store: store)
        var outcome: AppendOutcome?
        let summary = try store.append(.lines([JSONWriter.bytes(.object(event))]), mode: .atomic) {
            _, result, _ in
            outcome = result
        }
        reportRecovery(summary)
        return reportOne(outcome)
    }

    /// What `record` and `correct` print for the one event they append: its seq, hash and id; a duplicate
    /// skipped; or the refusal (the event came from flags, not a file: its reason, not "line 1").
    static func reportOne(_ outcome: AppendOutcome?) -> ExitStatus {
        switch outcome {
        case .appended(let seq, let hash, let id)?:
            Console.out("\(seq) \(hash) \(id)\n")
            return .done
        case .duplicate(let seq, let id)?:
            Console.errLine("duplicate: \(id) is already seq \(seq) (skipped)")
            return .done
        case .refused(let error)?:
            Console.errLine("refused: \(error.reason)")
            return .refused
        case nil:
            return .refused
        }
    }

    static let verifyHelp = """
        usage: ledger verify [--expect-head SEQ:HASH] [--expect-access-head SEQ:HASH] [--log PATH]

        Reads the whole log once: recomputes every line's hash and dataHash, checks the prev chain and that
        seq runs 1, 2, 3 … with no gaps, refuses duplicate ids, and re-validates every event as an append
        would have. Names the first bad seq and exits 1. --expect-head proves the log still extends a head
        written down earlier (`ledger head`), so truncation or a rewrite with a recomputed chain is detected.
        Then checks the access log <log>.access, when there is one, the same way (hashes, prev chain, seq):
        a changed, removed or inserted entry fails, naming the first bad entry's seq. --expect-access-head
        (from `ledger head --access`) also catches entries cut off its end, or the whole file removed.
        """

    static func verify(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(
            raw, flags: [], known: ["log", "expect-head", "expect-access-head"])
        func head(_ option: String) throws -> (seq: Int, hash: String)? {
            guard let text = arguments.value(option) else { return nil }
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let seq = Int(parts[0]), seq >= 0,
                Hex.isLowercaseHex(parts[1].utf8, count: 64)
            else {
                throw UsageError(
                    message: "--\(option) must be SEQ:HASH (as printed by ledger head)")
            }
            return (seq, parts[1])
        }
        let anchor = try head("expect-head")
        let accessAnchor = try head("expect-access-head")
        let path = CommandRunner.logPath(arguments)
        Console.progress("verify: checking \(path)", stage: true)
        let report = try LedgerVerifier.verify(path: path, expectHead: anchor) { count in
            Console.progress("verify: \(count) events")
        }
        Console.endProgress()
        var message =
            "verified \(report.events) events: chain, hashes and contract OK; head \(report.head.seq):\(report.head.hash)"
        if report.redacted > 0 {
            message += " (\(report.redacted) redacted payloads not re-validated)"
        }
        if anchor != nil { message += "; extends the anchored head" }
        Console.out(message + "\n")
        // The access log beside it, when there is one: its own chain, its first bad entry named.
        let accessLog = AccessLog(logPath: path)
        if let accessAnchor, accessAnchor.seq > 0 {
            // A head written down earlier: the access log must still hold that entry (nothing cut off its end).
            let hashes = accessLog.exists ? try accessLog.read().hashes : []
            guard accessAnchor.seq <= hashes.count,
                hashes[accessAnchor.seq - 1] == accessAnchor.hash
            else {
                throw VerifyFailure(
                    seq: min(accessAnchor.seq, hashes.count + 1),
                    line: min(accessAnchor.seq, hashes.count + 1),
                    problem:
                        "the access log \(accessLog.path) does not extend the anchored head \(accessAnchor.seq): it holds \(hashes.count) entries (entries were cut off, or it was replaced)"
                )
            }
        }
        if accessLog.exists {
            let summary = try accessLog.read()
            var line =
                "verified the access log \(accessLog.path): \(summary.entries) entries, chain OK"
            if accessAnchor != nil { line += "; extends the anchored head" }
            if summary.tornBytes > 0 {
                line +=
                    " (then \(summary.tornBytes) bytes of an entry cut off by a crash, never acknowledged: moved aside by the next read)"
            }
            Console.out(line + "\n")
        }
        return .done
    }

    static let recoverHelp = """
        usage: ledger recover [--log PATH]

        Repairs a torn last line left by a crash mid-write: the partial bytes are moved to a side file
        (<log>.torn-<seq>, owner-only, never discarded) and the log is cut back to its last whole line.
        Does nothing on a clean log.
        """

    static func recover(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(raw, flags: [], known: ["log"])
        let file = LedgerFile(path: CommandRunner.logPath(arguments))
        let report = try file.withLock { try $0.recover() }
        if let side = report.sideFile {
            Console.out(
                "recovered: moved \(report.movedBytes) torn bytes to \(side); log ends at seq \(report.head.seq)\n"
            )
        } else {
            Console.out(
                "nothing to recover: the log ends with a whole line (seq \(report.head.seq))\n")
        }
        return .done
    }

    static let headHelp = """
        usage: ledger head [--access] [--log PATH]

        Prints SEQ:HASH of the last line. Write it down (or publish it) now; later,
        `ledger verify --expect-head SEQ:HASH` proves the log still extends it. With --access, the same for the
        access log (<log>.access), for `ledger verify --expect-access-head`.
        """

    static func head(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(raw, flags: ["access"], known: ["log"])
        if arguments.flags.contains("access") {
            let summary = try AccessLog(logPath: CommandRunner.logPath(arguments)).read()
            Console.out(
                "\(summary.entries):\(summary.hashes.last ?? String(repeating: "0", count: 64))\n")
            return .done
        }
        let (head, torn) = try LedgerFile(path: CommandRunner.logPath(arguments)).readHead()
        if torn > 0 {
            Console.errLine(
                "warning: \(torn) torn bytes after the last whole line (run ledger recover)")
        }
        Console.out("\(head.seq):\(head.hash)\n")
        return .done
    }

    static func reportRecovery(_ summary: AppendSummary) {
        if let warning = summary.derivedWarning {
            Console.errLine("warning: appended and durable, but \(warning)")
        }
        if let recovery = summary.recovery, let side = recovery.sideFile {
            Console.errLine(
                "recovered a torn last line first: \(recovery.movedBytes) bytes moved to \(side)")
        }
    }

    static func isReadable(_ path: String) -> Bool { access(path, R_OK) == 0 }
}

#if canImport(Glibc)
    import Glibc
#endif

/// The rejects file, opened at the first refusal (or when a run ends, so that a run that refused nothing still
/// leaves it, as before): a log refused before any line is read leaves no empty rejects file behind.
final class RejectsFile {
    let path: String
    private var file: OutputFile?

    init(path: String) { self.path = path }

    /// Adds a refusal's line.
    func write(_ bytes: [UInt8]) throws {
        if file == nil { file = try FileOutput.create(path, replace: false) }
        try file?.write(bytes)
    }

    /// Makes it durable (creating it when nothing was refused).
    func finish() throws {
        if file == nil { file = try FileOutput.create(path, replace: false) }
        try file?.sync()
    }
}

/// Lines of the rejects file.
enum Rejects {
    static func line(file: String, error: ValidationError, input: UnsafeBufferPointer<UInt8>)
        -> [UInt8]
    {
        var object = JSONObject([
            JSONMember("file", .string(file)), JSONMember("line", .number(String(error.line))),
        ])
        if let id = error.id { object["id"] = .string(id) }
        object["reason"] = .string(error.reason)
        if let text = String(validating: input, as: UTF8.self) {
            object["input"] = .string(text)
        } else {
            // Not UTF-8: keep the exact bytes, so nothing is lost.
            object["input"] = .string(String(decoding: input, as: UTF8.self))
            object["inputBase64"] = .string(Base64.encode(Array(input)))
        }
        var bytes = JSONWriter.bytes(.object(object))
        bytes.append(0x0A)
        return bytes
    }
}

/// Base64 (RFC 4648) for keeping non-UTF-8 input bytes.
enum Base64 {
    static let alphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value = chunk.enumerated().reduce(UInt32(0)) {
                $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset))
            }
            for position in 0..<4 {
                if position <= chunk.count {
                    out.append(alphabet[Int((value >> (18 - 6 * UInt32(position))) & 0x3F)])
                } else {
                    out.append(UInt8(ascii: "="))
                }
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
