#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
import Projections

/// Data protection: the retention review and redaction (DATA-PROTECTION.md).
enum RetentionCommands {
    static let all: [CommandRunner.Command] = [
        .init(
            name: "retention",
            summary: "families whose retention has ended, which are held, which cannot be decided",
            help: retentionHelp, run: retention),
        .init(
            name: "redact",
            summary:
                "remove a family's payloads at the end of retention, or lines on the wrong family",
            help: redactHelp, run: redact),
    ]

    static let retentionHelp = """
        usage: ledger retention [--as-of DATE] [--format FORMAT] [--log PATH]

        Every family whose retention has ended by DATE (default today), judged by the retention rule of the
        policy in force on DATE: the family, the rule (id, label, source), the date its retention ended, and
        status `due` (may be redacted) or `held` (with each hold's reason: the family's own, or an org hold).
        Also every family whose retention cannot be decided, and why (an open episode, a child with no date
        of birth, a family never closed). Families whose record was redacted are not listed.
          --format FORMAT   table (default at a terminal), json (default otherwise), jsonl, csv
        """

    static let redactHelp = """
        usage: ledger redact --family REF --reason retention-ended|wrong-family --actor MANAGER
                             [--seq N]… [--dry-run] [--log PATH]

        Removes payloads from the log (the one exception to append-only, DATA-PROTECTION.md). The lines
        concerned keep everything the chain covers (seq, id, stream, type, dates, actor, dataHash), so the
        chain still verifies and counts by type and month stay true; their data and salt are replaced by
        a redacted notice, and a record.redacted event in org records what was done, by whom, and why.
          retention-ended  every line of the family (its holds' lines are kept); refused unless
                           `ledger retention` lists the family as due today and not held.
          wrong-family     only the lines named with --seq (lines of that family; a correction or void
                           of a named line must be named too).
        Refused for a held family (its own hold, or an org hold), and unless MANAGER is a registered manager.
        Under the writers' lock the whole new log is written beside the log, synced and renamed over it:
        killed at any point, the log is as before or fully redacted. Then the derived files (.ids, .state,
        .state-delta, .fold-*) are deleted (they rebuild), side files of this family's torn lines removed,
        and every folder `ledger rebuild --out` wrote for this log is rebuilt, with the family's spare page
        removed (a folder that no longer holds a rebuild is left alone). If it is interrupted after the log
        was replaced, run it again: it finds nothing left to redact, appends nothing, and still purges and
        rebuilds (with --reason wrong-family, name the same lines).
          --dry-run   print what would be redacted; change nothing
        """

    static func retention(_ raw: [String]) throws -> ExitStatus {
        let query = try ReadCommands.Query(raw, options: [])
        try ReadCommands.requireLog(query)
        // A bulk read (every family's dates): one access entry, as for the other projections.
        try AccessAudit.begin(
            command: "retention", family: nil, arguments: query.arguments, log: query.path)
        let review = try review(path: query.path, asOf: query.asOf)
        let rows = review.verdicts(asOf: query.asOf).map(\.row)
        switch query.format {
        case .csv: Console.outBytes(RowWriter.csv(rows, columns: RetentionReview.columns))
        default: try query.emit(rows, tableColumns: RetentionReview.columns)
        }
        return .done
    }

    /// The retention review of the log as of `date`.
    static func review(path: String, asOf date: CivilDate) throws -> RetentionReview {
        var review = RetentionReview()
        try EventScanner.scan(path: path, window: EventWindow(asOf: date)) { review.apply($0) }
        return review
    }

    static func redact(_ raw: [String]) throws -> ExitStatus {
        let arguments = try Arguments(
            raw, flags: ["dry-run"], known: ["log", "family", "reason", "actor", "seq"],
            repeatable: ["seq"])
        guard arguments.positionals.isEmpty else {
            throw UsageError(message: "unexpected \(arguments.positionals[0])")
        }
        guard let given = arguments.value("family") else {
            throw UsageError(message: "--family REF is required")
        }
        let family = AccessCommands.familyRef(given)
        guard let reason = arguments.value("reason") else {
            throw UsageError(
                message: "--reason is required (\(Redaction.reasons.joined(separator: " or ")))")
        }
        guard let actor = arguments.value("actor") else {
            throw UsageError(message: "--actor MANAGER is required")
        }
        var seqs: [Int]?
        if !arguments.values("seq").isEmpty {
            let given = try arguments.values("seq").map { text in
                guard let seq = Int(text), seq >= 1 else {
                    throw UsageError(
                        message: "--seq must be a line's seq (1, 2 …), not \"\(text)\"")
                }
                return seq
            }
            // A seq named twice is one line (it had been counted, and recorded, twice).
            seqs = Array(Set(given)).sorted()
        }
        let path = CommandRunner.logPath(arguments)
        if !LedgerFile(path: path).exists { throw EventLogError.missing(path: path) }
        let environment = try CommandRunner.environment()
        let today = environment.now().londonDate
        let dryRun = arguments.flags.contains("dry-run")
        let store = LedgerStore(path: path, environment: environment)
        // Until its purge and rebuilds are done, a redaction is on record as begun, so that if it is stopped after
        // the log was replaced, every later command says to run it again (PendingRedaction).
        var again = ["ledger", "redact", "--family", family, "--reason", reason, "--actor", actor]
        for seq in seqs ?? [] { again += ["--seq", String(seq)] }
        again += ["--log", path]
        if !dryRun { try PendingRedaction.begin(log: path, command: again) }
        let result: RedactionResult
        do {
            result = try store.redact(
                RedactionRequest(
                    family: family, reason: reason, actor: actor, seqs: seqs, dryRun: dryRun)
            ) { locked in
                guard reason == "retention-ended" else { return nil }
                // Judged under the lock, on the log as it stands, by the policy in force today.
                let review = try review(path: locked.path, asOf: today)
                guard let verdict = review.verdict(family, asOf: today) else {
                    throw RedactionRefusal("ledger retention does not list family \(family)")
                }
                switch verdict.status {
                case .due: return verdict.rule?.id
                case .held:
                    throw RedactionRefusal(
                        "family \(family) is held (\(verdict.row["held"]?.stringValue ?? "")): nothing held may be redacted"
                    )
                case .kept:
                    throw RedactionRefusal(
                        "family \(family)'s retention (rule \(verdict.rule?.id ?? "?")) ends on \(verdict.endsOn?.description ?? "?"), not yet"
                    )
                case .undecided:
                    throw RedactionRefusal(
                        "family \(family)'s retention cannot be decided: \(verdict.why ?? "")")
                }
            }
        } catch let error as UsageErrorText {
            PendingRedaction.end(log: path)
            throw UsageError(message: error.message)
        } catch let error as RedactionRefusal {
            PendingRedaction.end(log: path)
            Console.errLine("ledger redact: \(error)")
            return .refused
        }
        let lines = result.lines.map { "\($0.seq) \($0.type)" }
        if result.finishing {
            return try finish(result, family: family, path: path, dryRun: dryRun)
        }
        if dryRun {
            Console.out(
                "would redact \(result.lines.count) line\(result.lines.count == 1 ? "" : "s") of family \(family) (\(reason)\(result.rule.map { ", rule \($0)" } ?? "")):\n"
            )
            for line in lines { Console.out("  \(line)\n") }
            Console.out(
                "and append record.redacted \(result.recordID) as seq \(result.recordSeq); nothing was changed\n"
            )
            let folders = RebuildFolders.known(for: path)
            if !folders.isEmpty {
                Console.out("would rebuild: \(folders.joined(separator: ", "))\n")
            }
            for entry in KnownOutputs.known(for: path) {
                if entry.kind == .export {
                    Console.out("would export again: \(entry.folder)\n")
                } else if entry.made.first == family {
                    Console.out("would remove the subject-access bundle: \(entry.folder)\n")
                }
            }
            return .done
        }
        Console.out(
            "redacted \(result.lines.count) line\(result.lines.count == 1 ? "" : "s") of family \(family) (\(reason)\(result.rule.map { ", rule \($0)" } ?? "")): seqs \(result.lines.map { String($0.seq) }.joined(separator: " "))\n"
        )
        Console.out(
            "recorded as record.redacted \(result.recordID) (seq \(result.recordSeq)); head \(result.head.seq):\(result.head.hash)\n"
        )
        return try purged(result, path: path, family: family)
    }

    /// Says what the purge removed and kept, then refreshes the rebuild folders; the redaction is then done.
    static func purged(_ result: RedactionResult, path: String, family: String) throws -> ExitStatus
    {
        let status = try purgedAndRefreshed(result, path: path, family: family)
        PendingRedaction.end(log: path)
        return status
    }

    static func purgedAndRefreshed(_ result: RedactionResult, path: String, family: String) throws
        -> ExitStatus
    {
        if !result.removed.isEmpty {
            Console.out(
                "removed (rebuilt from the log when next needed): \(result.removed.joined(separator: ", "))\n"
            )
        }
        for kept in result.keptSideFiles {
            Console.err(
                "ledger redact: kept \(kept): a torn line cut too short to tell whose it was; read it and remove it if it is this family's\n"
            )
        }
        let rebuilt = try refreshRebuilds(path: path, family: family)
        let refreshed = KnownOutputs.refresh(log: path, family: family)
        return rebuilt == .done ? refreshed : rebuilt
    }

    /// The lines asked for were redacted by an earlier run, interrupted after the log was replaced: nothing is
    /// appended; its purge is done, and the rebuild folders refreshed, as that run would have done.
    static func finish(
        _ result: RedactionResult, family: String, path: String, dryRun: Bool
    ) throws -> ExitStatus {
        let seqs = result.lines.map { String($0.seq) }.joined(separator: " ")
        Console.out(
            "nothing left to redact: family \(family)'s seqs \(seqs) were redacted already (by an earlier redact)\n"
        )
        if dryRun {
            let folders = RebuildFolders.known(for: path)
            Console.out(
                "would remove the derived files and this family's torn-line side files"
                    + (folders.isEmpty
                        ? "\n" : ", and rebuild: \(folders.joined(separator: ", "))\n"))
            return .done
        }
        Console.out("finishing its purge, in case it was interrupted after the log was replaced\n")
        return try purged(result, path: path, family: family)
    }

    /// Rebuilds every folder `ledger rebuild --out` wrote for the log at `path`, first removing the family's page
    /// and its spare (the page before, which would hold what was removed), and the spare again after (the
    /// rebuild's exchange leaves the replaced page there).
    static func refreshRebuilds(path: String, family: String) throws -> ExitStatus {
        let folders = RebuildFolders.known(for: path)
        if folders.isEmpty {
            Console.out("no rebuild --out folder is known for this log\n")
            return .done
        }
        let name = HTML.familyPageName(family)
        var status = ExitStatus.done
        for folder in folders {
            let page = "\(folder)/families/\(name)"
            let spare = "\(folder)/\(FamilyPages.spareDirectory)/\(name)"
            guard FileOutput.size(folder) != nil else {
                Console.out("rebuild folder \(folder): no longer there, skipped\n")
                continue
            }
            // A folder put in its place since (neither a plan nor a front page) is not filled with every family.
            guard
                FileOutput.size(folder + "/" + RebuildPlan.fileName) != nil
                    || FileOutput.size(folder + "/index.html") != nil
            else {
                Console.out(
                    "rebuild folder \(folder): no longer holds a rebuild (no \(RebuildPlan.fileName), no index.html), skipped\n"
                )
                continue
            }
            // The folder as its last rebuild made it: of this log (a folder rebuilt since from another log is
            // that log's, and left alone), for the same window (a report as of 30 June stays one).
            var window: [String] = []
            if let plan = RebuildPlan.load(from: folder) {
                guard FoldCheckpoint.holdsLine(plan.stamp, in: path) else {
                    Console.out(
                        "rebuild folder \(folder): holds a rebuild of another log (this log has no seq \(plan.stamp.seq) as its plan states), left alone\n"
                    )
                    continue
                }
                let made = RebuildPlan.window(fromText: plan.window) ?? EventWindow()
                if let asOf = made.asOf { window += ["--as-of", asOf.description] }
                if let knownAt = made.knownAt { window += ["--known-at", knownAt.rfc3339] }
            }
            FileOutput.remove(page)
            FileOutput.remove(spare)
            do {
                let query = try ReadCommands.Query(
                    ["--log", path, "--format", "json"] + window, options: [])
                RebuildWriter.favourMemory()
                _ = try RebuildWriter.write(
                    log: path, window: query.window, asOf: query.asOf, fromScratch: false,
                    to: folder, fold: query.foldCovering)
                FileOutput.remove(spare)
                let shown = window.isEmpty ? "" : " " + window.joined(separator: " ")
                Console.out(
                    "rebuilt \(folder)\(shown) (the family's page and its spare replaced)\n")
            } catch {
                Console.errLine(
                    "ledger redact: rebuild of \(folder) failed (\(error)); its page for \(family) and the spare were removed, run ledger rebuild --out \(folder)"
                )
                status = .refused
            }
        }
        return status
    }
}

/// The folders `ledger rebuild --out` has written for a log, kept in `<log>.rebuilds` (one absolute path a line,
/// owner-only) so that a redaction can refresh them.
enum RebuildFolders {
    static func listPath(for log: String) -> String { log + ".rebuilds" }

    /// The folders recorded for the log.
    static func known(for log: String) -> [String] {
        guard let bytes = FileOutput.read(listPath(for: log)) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// `folder` by its one real path (a symlink, `x/..` and a relative name are the same folder); nil when it
    /// cannot be made, or cannot be kept on a line of its own.
    static func absolute(_ folder: String) -> String? {
        var absolute = folder
        if let resolved = realpath(folder, nil) {
            absolute = String(cString: resolved)
            free(resolved)
        } else if !folder.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: 4096)
            guard getcwd(&buffer, buffer.count) != nil else { return nil }
            let cwd = String(
                decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) },
                as: UTF8.self)
            absolute = cwd + "/" + folder
        }
        while absolute.count > 1 && absolute.hasSuffix("/") { absolute.removeLast() }
        guard !absolute.contains("\n"), !absolute.contains("\t") else { return nil }
        return absolute
    }

    /// Records `folder` (made absolute) for the log, if it is not recorded already.
    static func remember(_ folder: String, for log: String) {
        guard let absolute = absolute(folder) else { return }
        var folders = known(for: log)
        guard !folders.contains(absolute) else { return }
        folders.append(absolute)
        try? FileOutput.writeAtomically(
            Array((folders.joined(separator: "\n") + "\n").utf8), to: listPath(for: log))
    }
}

/// A redaction begun and not yet finished: `<log>.redaction-pending` holds the command that finishes it. `redact` writes
/// it before the log is replaced and removes it once the purge and the rebuilds are done (or the redaction was
/// refused); a redaction stopped in between (killed, a full disk) leaves it, and every later command says so, since
/// the files beside the log and the dashboards may still hold what was removed, and nothing else would tell.
enum PendingRedaction {
    static func path(for log: String) -> String { log + DerivedFiles.pendingRedaction }

    static func begin(log: String, command: [String]) throws {
        try FileOutput.writeAtomically(
            text: command.map(shellWord).joined(separator: " ") + "\n", to: path(for: log))
    }

    static func end(log: String) { FileOutput.remove(path(for: log)) }

    /// The warning for the log at `log`, when a redaction of it was left unfinished.
    static func warning(log: String) -> String? {
        guard let bytes = FileOutput.read(path(for: log)) else { return nil }
        let command = String(
            String(decoding: bytes, as: UTF8.self).split(separator: "\n").first ?? "")
        return
            "ledger: a redaction of this log was stopped before it finished (its purge of the files beside the log and its rebuilds); run it again to finish it: \(TerminalText.escape(command))"
    }

    /// `word` as a shell reads it back: as it is when it is plain, else in single quotes.
    static func shellWord(_ word: String) -> String {
        let plain = word.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
                || "-_.:/=@+".unicodeScalars.contains($0)
        }
        return plain && !word.isEmpty ? word : "'" + word.replacing("'", with: "'\\''") + "'"
    }
}

/// The other folders the ledger wrote from a log, kept in `<log>.outputs` (owner-only, a line each: the kind, the
/// absolute folder and what it was made with, tab-separated), so that a redaction deals with them too: an analysts'
/// export is made again with its window; a family's subject-access bundle, once that family's lines are redacted,
/// is removed (it holds what was removed), to be made again if it is still needed.
enum KnownOutputs {
    struct Entry: Equatable {
        enum Kind: String { case export, bundle = "export-family" }
        var kind: Kind
        var folder: String
        /// export: its --as-of and --known-at ("-" for none); export-family: the family's ref.
        var made: [String]
    }

    static func listPath(for log: String) -> String { log + DerivedFiles.outputs }

    static func known(for log: String) -> [Entry] {
        guard let bytes = FileOutput.read(listPath(for: log)) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(
                String.init)
            guard fields.count >= 2, let kind = Entry.Kind(rawValue: fields[0]) else { return nil }
            return Entry(kind: kind, folder: fields[1], made: Array(fields.dropFirst(2)))
        }
    }

    /// Records a folder written from the log (replacing what was recorded of the same folder).
    static func remember(_ kind: Entry.Kind, _ folder: String, made: [String], for log: String) {
        guard let absolute = RebuildFolders.absolute(folder),
            !made.contains(where: { $0.contains("\t") || $0.contains("\n") })
        else { return }
        let entry = Entry(kind: kind, folder: absolute, made: made)
        var entries = known(for: log).filter { $0.folder != absolute }
        entries.append(entry)
        write(entries, for: log)
    }

    static func write(_ entries: [Entry], for log: String) {
        let text = entries.map {
            ([$0.kind.rawValue, $0.folder] + $0.made).joined(separator: "\t")
        }
        try? FileOutput.writeAtomically(
            Array((text.joined(separator: "\n") + (text.isEmpty ? "" : "\n")).utf8),
            to: listPath(for: log))
    }

    /// After `family`'s lines were redacted: each export made again with its window, each of the family's
    /// bundles removed; says what was done. Fails (exit 1) when an export could not be made again.
    static func refresh(log: String, family: String) -> ExitStatus {
        var status = ExitStatus.done
        var entries = known(for: log)
        for entry in entries {
            switch entry.kind {
            case .export:
                guard FileOutput.size(entry.folder + "/schema.json") != nil else {
                    Console.out("export folder \(entry.folder): no longer an export, skipped\n")
                    continue
                }
                var window = EventWindow()
                if let text = entry.made.first, text != "-" { window.asOf = CivilDate(text) }
                if entry.made.count > 1, entry.made[1] != "-" {
                    window.knownAt = Timestamp(rfc3339: entry.made[1])
                }
                do {
                    _ = try ExportWriter.write(log: log, window: window, to: entry.folder)
                    Console.out("exported \(entry.folder) again\n")
                } catch {
                    Console.errLine(
                        "ledger redact: export of \(entry.folder) failed (\(error)); it may still hold what was removed: run ledger export --out \(entry.folder) again, or remove it"
                    )
                    status = .refused
                }
            case .bundle:
                guard entry.made.first == family else { continue }
                for name in AccessCommands.bundleFiles {
                    FileOutput.remove(entry.folder + "/" + name)
                }
                _ = rmdir(entry.folder)  // only when nothing else is in it
                Console.out(
                    "removed the subject-access bundle \(entry.folder) of \(family) (it held what was removed): export it again if it is still needed\n"
                )
                entries.removeAll { $0 == entry }
            }
        }
        write(entries, for: log)
        return status
    }
}
