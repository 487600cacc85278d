#if canImport(Glibc)
    import Glibc
#endif
import Dispatch
import EventLog
import LedgerCore
import LedgerEngine
import Projections

/// Subject access and the access audit (DATA-PROTECTION.md): `export-family` and `access`.
enum AccessCommands {
    static let all: [CommandRunner.Command] = [
        .init(
            name: "export-family",
            summary: "a family's subject-access bundle: a page to read and print, and JSON",
            help: exportHelp, run: exportFamily),
        .init(
            name: "access",
            summary: "who looked at which family's record, and when (the access log)",
            help: accessHelp, run: access),
    ]

    static let exportHelp = """
        usage: ledger export-family FAMILY --out DIR [--viewer ID] [--log PATH]

        Writes the subject-access bundle of FAMILY (its ref, e.g. F-102, or family:F-102) to DIR, owner-only:
          DIR/index.html   everything held about the family, in plain sentences, for the family to read and print
                           (A4): its members, who worked with it, every event in order with corrections shown
                           (the original struck through, with why) and entries made in error marked so, removed
                           (redacted) entries shown as removed; static, no scripts, a strict content security policy
          DIR/events.json  the same events as the timeline shows them (corrections applied, originals kept)
        Third-party information is withheld and each withholding listed with its reason, in both files: the
        referrer's identity (data.referrer), another system's internal reference (source.ref), and anyone an
        event names who is not a member of the family. Free text is not screened: read it before sending.
        The export is recorded in the access log (see `ledger access`). A family the log has never seen is refused.
          --viewer ID   the person the export is for or by, recorded in the access log (default $LEDGER_VIEWER)
        """

    static let accessHelp = """
        usage: ledger access [FAMILY] [--since DATE] [--format table|json|jsonl|csv] [--wide] [--log PATH]

        Lists the access log (<log>.access): every command that showed a family's record (timeline, export-family,
        families/due/pbr --family) and every bulk read (rebuild, families, due, … without --family), in order:
        seq, when (UTC), the operating-system user, the viewer (--viewer or $LEDGER_VIEWER, when given), the
        command and the family (empty for a bulk read). FAMILY keeps that family's entries; --since DATE keeps
        entries from that date (UTC; or an RFC 3339 date-time) on. The log's chain is checked as it is read: a
        changed, removed or inserted entry stops the listing, naming the first bad seq (as `ledger verify` does).
        """

    /// `family:F-102` and `F-102` alike.
    static func familyRef(_ given: String) -> String {
        given.hasPrefix("family:") ? String(given.dropFirst(7)) : given
    }

    /// The files of a subject-access bundle: the page, then the events.
    static let bundleFiles = ["index.html", "events.json"]

    static func exportFamily(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(raw, flags: [], known: ["log", "out", "viewer"])
        guard arguments.positionals.count == 1, let given = arguments.positionals.first else {
            throw UsageError(message: "give one FAMILY (its ref, e.g. F-102)")
        }
        let family = familyRef(given)
        guard Identifiers.isReference(family) else {
            throw UsageError(message: "FAMILY must be a family's ref: 1–64 of A-Za-z0-9._-")
        }
        guard let out = arguments.value("out") else {
            throw UsageError(message: "--out DIR is required")
        }
        let path = CommandRunner.logPath(arguments)
        if !LedgerFile(path: path).exists { throw EventLogError.missing(path: path) }
        try AccessAudit.begin(
            command: "export-family", family: family, arguments: arguments, log: path)

        // One read of the log: who the actors are, and the family's events (their payloads kept in memory, not
        // their chunks of the log); then each of the family's lines is read back for its source and redaction.
        var workers: [String: SubjectAccessBundle.Actor] = [:]
        var systems: [String: SubjectAccessBundle.Actor] = [:]
        var captured: [(offset: Int, data: EventData, amendments: [Amendment])] = []
        try EventScanner.scan(
            path: path, window: EventWindow(), progress: { Console.progress("reading: line \($0)") }
        ) { event in
            switch event.typed {
            case .workerRegistered(let payload):
                let registered = payload.decoded
                workers[StreamName.key(of: event.stream)] = .init(
                    name: registered?.name ?? "", role: registered?.role ?? "")
            case .workerChanged(let payload):
                if let role = payload.decoded?.role {
                    workers[StreamName.key(of: event.stream)]?.role = role
                }
            case .systemRegistered(let payload):
                systems[StreamName.key(of: event.stream)] = .init(
                    name: payload.decoded?.name ?? "", role: "system")
            case .policyAdopted, .teamDefined, .workerLeft, .systemRetired, .referralReceived,
                .familyMemberAdded, .familyMemberLeft, .ufrnAssigned, .triageCompleted,
                .allocationDiscussed, .workerAllocated, .workerUnallocated, .referrerContacted,
                .contactAttempted, .consentRecorded, .engagementStarted, .visitCompleted,
                .meetingAttended, .noteRecorded, .supervisionRecorded, .concernRaised,
                .requirementMet, .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed,
                .reviewCompleted, .caseSummaryCompleted, .extensionAgreed, .levelChanged,
                .stepupRequested, .stepupDecided, .transferCompleted, .closureApproved, .caseClosed,
                .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded, .employmentRecorded,
                .pbrClaimed, .eventCorrected, .eventVoided, .holdPlaced, .holdLifted,
                .recordRedacted, .unknown:
                break
            }
            guard event.familyRef == family else { return }
            let amendments = event.amendments.map { amendment in
                var kept = amendment
                kept.original = amendment.original?.detached
                return kept
            }
            captured.append((event.offset, event.data.detached, amendments))
        }
        Console.endProgress()
        guard !captured.isEmpty else {
            throw CommandFailure(message: "no family \(family) in the log: nothing exported")
        }
        let reader = try LineReader(path: path)
        var events: [SubjectAccessBundle.Event] = []
        for item in captured {
            guard let line = try reader.line(at: item.offset) else {
                throw CommandFailure(
                    message:
                        "the log changed while it was read (byte \(item.offset)): run the export again"
                )
            }
            let record = try LineFormat.decode(line)
            guard var event = StoredEvent(record) else {
                throw CommandFailure(
                    message: "seq \(record.seq): its dates do not parse; run `ledger verify`")
            }
            event.data = item.data
            event.amendments = item.amendments
            events.append(
                .init(
                    event: event, source: record.content.source?.objectValue,
                    redacted: record.redacted?.objectValue))
        }
        let bundle = SubjectAccessBundle(
            family: family, events: events, workers: workers, systems: systems,
            producedAt: try CommandRunner.environment().now())
        // Nothing is written until the access is on record.
        try AccessAudit.confirm()
        try FileOutput.makeDirectory(out)
        try FileOutput.writeAtomically(text: bundle.html, to: out + "/" + bundleFiles[0])
        try FileOutput.writeAtomically(bundle.json, to: out + "/" + bundleFiles[1])
        KnownOutputs.remember(.bundle, out, made: [family], for: path)
        Console.errLine(
            "exported \(events.count) events of family \(family) (\(bundle.withheld.count) items withheld, listed in the bundle) into \(out)"
        )
        Console.out("\(out)/index.html\n")
        return .done
    }

    static func access(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(raw, flags: ["wide"], known: ["log", "since", "format"])
        guard arguments.positionals.count <= 1 else {
            throw UsageError(message: "give at most one FAMILY")
        }
        let family = arguments.positionals.first.map(familyRef)
        var since: Timestamp?
        if let text = arguments.value("since") {
            if let date = CivilDate(text) {
                since = Timestamp(startOf: date)
            } else if let instant = Timestamp(rfc3339: text) {
                since = instant
            } else {
                throw UsageError(
                    message: "--since must be YYYY-MM-DD or an RFC 3339 date-time, not \"\(text)\"")
            }
        }
        let formatText = arguments.value("format") ?? (Console.stdoutIsTerminal ? "table" : "json")
        guard let format = OutputFormat(rawValue: formatText), format != .html else {
            throw UsageError(message: "--format must be table, json, jsonl or csv")
        }
        let path = CommandRunner.logPath(arguments)
        if !LedgerFile(path: path).exists { throw EventLogError.missing(path: path) }
        var rows: [JSONObject] = []
        let summary = try AccessLog(logPath: path).read { entry in
            if let family, entry.family != family { return }
            if let since, let at = Timestamp(rfc3339: entry.at), at < since { return }
            rows.append(entry.row)
        }
        if summary.tornBytes > 0 {
            Console.err(
                "note: the access log ends with \(summary.tornBytes) bytes of an entry cut off by a crash (never acknowledged; moved aside by the next read)"
            )
        }
        switch format {
        case .table:
            Console.outBytes(
                RowWriter.table(
                    rows, columns: ["seq", "at", "user", "viewer", "command", "family"],
                    width: arguments.flags.contains("wide") ? nil : Console.terminalWidth))
        case .json: Console.outBytes(RowWriter.json(rows))
        case .jsonl: Console.outBytes(RowWriter.jsonl(rows))
        case .csv:
            Console.outBytes(
                RowWriter.csv(rows, columns: ["seq", "at", "user", "viewer", "command", "family"]))
        case .html: break
        }
        return .done
    }
}

/// A command that could not do what was asked (exit status 1), with why.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Puts every read of a family's record (and every bulk read) on record in the access log before anything of it is
/// shown (DATA-PROTECTION.md, access audit).
///
/// The entry is appended on another thread while the command reads the log, so the read is not slowed by the
/// append's `fsync`; standard output shows nothing until the entry is durable (`Console.gate`), and a command that
/// writes files confirms it first. If the entry cannot be written (a full disk, the access log's permissions, its
/// lock held too long) the command fails closed: nothing is shown, and it exits 1 saying why.
enum AccessAudit {
    final class Pending: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var error: AccessLogError?
        var waited = false
    }

    nonisolated(unsafe) private static var pending: Pending?

    /// Starts recording that `command` shows `family` (nil: a bulk command) in the access log beside `log`.
    static func begin(command: String, family: String?, arguments: Arguments, log: String) throws {
        // The access log is the log's name and `.access`: a log with a second name would have a second access log,
        // and reads through that name would not be in the one `ledger access` shows. Writers refuse such a log too.
        if let links = FileOutput.linkCount(log), links > 1 {
            throw EventLogError.hardLinked(path: log, links: links)
        }
        let viewer = try self.viewer(arguments)
        let environment = try CommandRunner.environment()
        let user = operatingSystemUser()
        let accessLog = AccessLog(logPath: log)
        let started = Pending()
        pending = started
        Console.gate = confirm
        DispatchQueue.global().async {
            do throws(AccessLogError) {
                try accessLog.record(
                    command: command, family: family, user: user, viewer: viewer,
                    environment: environment)
            } catch {
                started.error = error
            }
            started.done.signal()
        }
    }

    /// Waits for the entry begun; throws when it could not be written (and then on every later call).
    static func confirm() throws {
        guard let pending else { return }
        if !pending.waited {
            pending.done.wait()
            pending.waited = true
        }
        if let error = pending.error { throw error }
    }

    /// `--viewer ID`, else `$LEDGER_VIEWER`; nil when neither is given.
    static func viewer(_ arguments: Arguments) throws -> String? {
        guard let viewer = arguments.value("viewer") ?? Console.environment("LEDGER_VIEWER"),
            !viewer.isEmpty
        else { return nil }
        guard viewer.utf8.count <= 128,
            !viewer.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw UsageError(
                message:
                    "--viewer (or $LEDGER_VIEWER) must be at most 128 characters, without control characters"
            )
        }
        return viewer
    }

    /// The operating-system user running the command (its effective user), by name; `uid N` when it has none.
    static func operatingSystemUser() -> String {
        let uid = geteuid()
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name {
            let text = String(cString: name)
            if !text.isEmpty { return text }
        }
        return "uid \(uid)"
    }

    /// The access entry of a projection command: the family named with `--family` (a read of one family's record),
    /// else a bulk read.
    static func beginProjection(_ command: String, _ query: ReadCommands.Query) throws {
        try begin(
            command: command, family: query.arguments.value("family").map(AccessCommands.familyRef),
            arguments: query.arguments,
            log: query.path)
    }
}
