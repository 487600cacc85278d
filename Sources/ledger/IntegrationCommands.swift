#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore

/// The integration side (issue 22): other systems follow the log (`tail`), analysts read it (`export`), other
/// systems' CSV comes in (`ingest --csv`, in WriteCommands), and inspectors get their list (`annex-a`).
enum IntegrationCommands {
    static let all: [CommandRunner.Command] = [
        .init(
            name: "tail",
            summary: "the stored lines after --since SEQ, chain-checked; --follow for new ones",
            help: tailHelp, run: tail),
        .init(
            name: "export",
            summary: "the applied view as hive-partitioned JSON lines in --out DIR, for analysts",
            help: exportHelp, run: export),
        .init(
            name: "annex-a",
            summary: "Ofsted's Annex A list 2 (early help) on --as-of DATE, one row per child",
            help: AnnexACommand.help, run: AnnexACommand.run),
    ]

    static let exportHelp = """
        usage: ledger export --out DIR [--as-of DATE] [--known-at DATETIME] [--log PATH]

        Writes the log as analysts need it: every event in the window once, corrections applied, voided events
        and the correction and void events themselves left out, as DIR/type=<type>/month=YYYY-MM/events.jsonl
        (hive-style folders that DuckDB, Spark and warehouses read as they are; the month the event happened),
        rows in log order: seq, id, stream, family, occurredAt, date, recordedAt, actor, data (in force),
        correctedBy (the ids of the corrections applied). DIR/schema.json lists each type's members and their
        JSON types, and its rows per month. The same log gives the same bytes. The new tree is written beside DIR
        and swapped in whole; DIR must be new, empty or an earlier export.
        """

    static func export(_ raw: [String]) throws -> ExitStatus {
        let query = try ReadCommands.Query(raw, options: ["out"])
        guard let out = query.arguments.value("out") else {
            throw UsageError(message: "--out DIR is required")
        }
        try ReadCommands.requireLog(query)
        // Every family's record leaves the ledger: one access entry, made durable before anything is written.
        try AccessAudit.begin(
            command: "export", family: nil, arguments: query.arguments, log: query.path)
        try AccessAudit.confirm()
        // Export's window is only the one asked for: without --as-of or --known-at, every event.
        let summary = try ExportWriter.write(log: query.path, window: query.window, to: out)
        KnownOutputs.remember(
            .export, out,
            made: [
                query.window.asOf?.description ?? "-", query.window.knownAt?.rfc3339 ?? "-",
            ], for: query.path)
        Console.errLine(
            "exported \(summary.rows) events into \(summary.partitions) partitions of \(out)")
        return .done
    }

    static let tailHelp = """
        usage: ledger tail [--since SEQ[:HASH]] [--follow] [--type T]… [--stream S] [--log PATH]

        The catch-up subscription for other systems: prints the stored lines after SEQ (default 0: all), byte
        for byte, in log order, checking the hash chain as it reads (exit 1 at a break, naming the seq; the lines
        before it are printed). A consumer keeps the seq of the last line it processed and restarts with
        --since that seq: nothing is skipped or repeated. Give SEQ:HASH (the line's "hash") to also check that
        the line is still the one the consumer read.
          --follow     keep running: print each new event once it is acknowledged (durable), within a second
          --type T     only events of type T (repeat for several); the chain is still checked on every line
          --stream S   only events of stream S (family:F-102, worker:w-1, system:hr, org; a bare ref is a family)
        Only whole lines that no writer is still writing are printed: tail waits, for a moment, on the writers'
        lock (a shared flock), so an append's lines appear once it has fsynced them; a long `ingest` holds the
        lock and its events appear when it finishes. A torn last line (a crash) is never printed.
        """

    static func tail(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(
            raw, flags: ["follow"], known: ["log", "since", "type", "stream", "viewer"],
            repeatable: ["type"])
        guard arguments.positionals.isEmpty else {
            throw UsageError(message: "unexpected \(arguments.positionals[0])")
        }
        var since = 0
        var sinceHash: String?
        if let text = arguments.value("since") {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard let seq = parts.first.flatMap({ Int($0) }), seq >= 0 else {
                throw UsageError(
                    message:
                        "--since must be a seq (a whole number ≥ 0), optionally SEQ:HASH, not \"\(text)\""
                )
            }
            since = seq
            if parts.count == 2 {
                guard Hex.isLowercaseHex(parts[1].utf8, count: 64) else {
                    throw UsageError(
                        message: "--since SEQ:HASH: the hash must be 64 lowercase hex digits")
                }
                sinceHash = parts[1]
            }
        }
        let types = arguments.values("type")
        for type in types where Catalogue.types[type] == nil {
            throw UsageError(message: "--type \(type) is not an event type of the catalogue")
        }
        let stream = arguments.value("stream").map {
            $0 == "org" || $0.contains(":") ? $0 : "family:" + $0
        }
        // A named family's stream is one family's record; otherwise a bulk read: one access entry either way,
        // durable before the first line is printed (tail prints through its own writer, not Console).
        let family = stream.flatMap { $0.hasPrefix("family:") ? String($0.dropFirst(7)) : nil }
        try AccessAudit.begin(
            command: "tail", family: family, arguments: arguments,
            log: CommandRunner.logPath(arguments))
        try AccessAudit.confirm()
        let output = StandardOutput()
        let tail = try LogTail(
            path: CommandRunner.logPath(arguments), since: since, sinceHash: sinceHash,
            filter: TailFilter(types: types, stream: stream), emit: output.write)
        do {
            if arguments.flags.contains("follow") { try tail.follow(flush: output.flush) }
            try tail.catchUp()
            try output.flush()
        } catch {
            // What was read before the break is printed (it verified); then the reason.
            try? output.flush()
            throw error
        }
        return .done
    }
}

/// Standard output written straight from the caller's bytes, with a buffer for small pieces.
final class StandardOutput {
    private var buffer: [UInt8] = []
    private let limit = 1 << 20

    init() { buffer.reserveCapacity(limit) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > limit { try flush() }
        if bytes.count >= limit / 4 {
            try Self.writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try Self.writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    static func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(1, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw TailError(
                    message: "cannot write to standard output: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}
