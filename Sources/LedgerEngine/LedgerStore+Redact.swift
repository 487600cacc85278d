import EventLog
import LedgerCore

/// Why `ledger redact` refused: nothing was changed.
public struct RedactionRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "refused: \(message)" }
}

/// What `ledger redact` is asked to do.
public struct RedactionRequest: Sendable {
    public var family: String
    public var reason: String
    public var actor: String
    /// The lines named (`wrong-family`); nil: every line of the family (`retention-ended`).
    public var seqs: [Int]?
    public var dryRun: Bool

    public init(family: String, reason: String, actor: String, seqs: [Int]?, dryRun: Bool) {
        self.family = family
        self.reason = reason
        self.actor = actor
        self.seqs = seqs
        self.dryRun = dryRun
    }
}

/// What `ledger redact` did (or, with `--dry-run`, would do).
public struct RedactionResult: Sendable {
    /// The lines redacted, by seq, with their types.
    public var lines: [(seq: Int, type: String)]
    /// The `record.redacted` event's id and seq.
    public var recordID: String
    public var recordSeq: Int
    /// The retention rule that allowed it (`retention-ended`).
    public var rule: String?
    /// The head after (or, with `--dry-run`, the head now).
    public var head: LogHead
    /// The derived and side files removed.
    public var removed: [String]
    /// Side files that may hold a partial line of this log but could not be told to be of another family: kept.
    public var keptSideFiles: [String]
    /// The lines asked for were redacted already, by an earlier run that was interrupted after the log was
    /// replaced: nothing was appended, and only what that run had left to do (the purge) was done. `lines` are
    /// the lines it had redacted.
    public var finishing = false
}

extension LedgerStore {
    /// Suffix of the temporary file a redaction writes the new log to (beside the log).
    public static let redactionTemporarySuffix = ".redacting"

    /// Redacts lines of one family (DATA-PROTECTION.md): under the writers' lock, the lines concerned lose `data`
    /// and `salt` for a `redacted` notice (their chained body untouched, so the chain still verifies), a
    /// `record.redacted` event is appended, and the whole new log replaces the old one atomically. Then every
    /// derived file that may hold removed data is deleted (they are rebuilt from the log).
    ///
    /// `allow` runs under the lock, before anything is written, with the log as it stands: it throws to refuse
    /// (the retention review's say, for `retention-ended`) and returns the retention rule's id to record.
    public func redact(
        _ request: RedactionRequest, allow: (LockedLedger) throws -> String?
    ) throws -> RedactionResult {
        guard Identifiers.isReference(request.family) else {
            throw UsageErrorText("--family must be 1-64 of A-Za-z0-9._-")
        }
        guard Redaction.reasons.contains(request.reason) else {
            throw UsageErrorText("--reason must be \(Redaction.reasons.joined(separator: " or "))")
        }
        // A leftover from a redaction killed before its rename holds a copy of the log: removed first.
        FileOutput.remove(file.path + Self.redactionTemporarySuffix)
        return try file.withLock { locked in
            if locked.tornBytes > 0 {
                throw RedactionRefusal(
                    "the log ends in a torn line (\(locked.tornBytes) bytes): run ledger recover first, then redact again"
                )
            }
            let index = try IdIndex.open(for: locked)
            var state = try Self.loadState(locked: locked, index: index)
            let stream = "family:" + request.family
            // Holds: the family's own and the organisation's (the rule the record.redacted is judged by too).
            if let held = state.redactionRefusal(family: request.family) {
                throw RedactionRefusal(held)
            }
            // The actor: a registered manager, checked with every rule record.redacted must pass.
            guard let worker = state.worker(request.actor), !worker.left else {
                throw RedactionRefusal(
                    "--actor \(request.actor) is not a registered worker who has not left")
            }
            guard Role.managers.contains(worker.role) else {
                throw RedactionRefusal(
                    "--actor \(request.actor) is \(worker.role): redaction needs a manager (\(Role.managers.sorted().joined(separator: ", ")))"
                )
            }
            // The family's lines, as they stand.
            var familyLines:
                [(seq: Int, type: String, id: String, redacted: Bool, target: String?)] = []
            var scanner = LineScanner()
            let streamBytes = Array(stream.utf8)
            try LogReader(path: locked.path).forEachLine(from: 0, to: locked.head.size) {
                line, position, _ in
                // Most lines are another family's: told by their stream's bytes, without decoding them.
                if let scanned = scanner.scan(line),
                    !UnsafeBufferPointer(rebasing: line[scanned.stream]).elementsEqual(streamBytes)
                {
                    return
                }
                let record = try LineFormat.decodeStored(line, atByte: position.offset)
                guard record.content.stream == stream else { return }
                // A correction's or void's target, read as its type declares it.
                let target = TypedData(
                    kind: EventKind(name: record.content.type),
                    data: EventData(record.content.data.objectValue ?? JSONObject())
                ).amendmentTarget
                familyLines.append(
                    (
                        record.seq, record.content.type, record.content.id, record.redacted != nil,
                        target
                    ))
            }
            if familyLines.isEmpty {
                throw RedactionRefusal("family \(request.family) has no line in the log")
            }
            // Holds are the record of why a record was kept: their lines stay.
            let kept: Set<String> = ["hold.placed", "hold.lifted"]
            var chosen: [(seq: Int, type: String)]
            if let named = request.seqs {
                guard request.reason == "wrong-family" else {
                    throw UsageErrorText(
                        "--seq names lines for --reason wrong-family; retention-ended redacts the whole family"
                    )
                }
                let bySeq = Dictionary(
                    familyLines.map { ($0.seq, $0) }, uniquingKeysWith: { first, _ in first })
                let namedSet = Set(named)
                // Every named line redacted already is an earlier run's work (finished below); some of them only
                // is a different request, refused.
                let allRedacted = named.allSatisfy { bySeq[$0]?.redacted == true }
                for seq in named.sorted() {
                    guard let line = bySeq[seq] else {
                        throw RedactionRefusal(
                            "seq \(seq) is not a line of family \(request.family) (only its own lines can be named)"
                        )
                    }
                    if line.redacted && !allRedacted {
                        throw RedactionRefusal("seq \(seq) is redacted already")
                    }
                    if kept.contains(line.type) {
                        throw RedactionRefusal(
                            "seq \(seq) is a \(line.type), which is never redacted")
                    }
                }
                // A correction or void of a named line carries or refers to what is removed: it must be named too.
                let namedIDs = Set(familyLines.filter { namedSet.contains($0.seq) }.map(\.id))
                for line in familyLines where !namedSet.contains(line.seq) && !line.redacted {
                    if let target = line.target, namedIDs.contains(target) {
                        throw RedactionRefusal(
                            "seq \(line.seq) (\(line.type)) amends a named line: name it too (--seq \(line.seq))"
                        )
                    }
                }
                chosen = named.sorted().compactMap { bySeq[$0].map { ($0.seq, $0.type) } }
            } else {
                guard request.reason == "retention-ended" else {
                    throw UsageErrorText(
                        "--reason wrong-family needs --seq N for each line recorded on the wrong family"
                    )
                }
                chosen = familyLines.filter { !$0.redacted && !kept.contains($0.type) }.map {
                    ($0.seq, $0.type)
                }
            }
            // An earlier run that was killed after the log was replaced left its purge undone: the lines asked for
            // are redacted, nothing is appended, and the purge is done now (the command then refreshes the
            // rebuild folders).
            let redacted = familyLines.filter(\.redacted).map { (seq: $0.seq, type: $0.type) }
            let redactedSeqs = Set(redacted.map(\.seq))
            let earlier: [(seq: Int, type: String)]
            if request.seqs != nil {
                earlier = chosen.allSatisfy { redactedSeqs.contains($0.seq) } ? chosen : []
            } else {
                earlier = chosen.isEmpty ? redacted : []
            }
            if !earlier.isEmpty {
                var result = RedactionResult(
                    lines: earlier, recordID: "", recordSeq: 0, rule: nil, head: locked.head,
                    removed: [], keptSideFiles: [])
                result.finishing = true
                if request.dryRun { return result }
                result.removed = Self.purgeDerived(of: locked.path).sorted()
                let sideFiles = Self.purgeTornSideFiles(of: locked.path, family: request.family)
                result.removed += sideFiles.removed
                result.keptSideFiles = sideFiles.kept
                return result
            }
            if chosen.isEmpty {
                throw RedactionRefusal("family \(request.family) has nothing left to redact")
            }
            let rule = try allow(locked)
            // The record.redacted event, checked as every event is (actor registered, a manager, the schema).
            let now = environment.now()
            let today = now.londonDate.description
            let recordID = "record-redacted-\(locked.head.seq + 1)-\(request.family)"
            var data = JSONObject([
                JSONMember("family", .string(request.family)),
                JSONMember("seqs", .array(chosen.map { .int($0.seq) })),
                JSONMember("reason", .string(request.reason)),
            ])
            if let rule { data["rule"] = .string(rule) }
            let event = JSONObject([
                JSONMember("id", .string(recordID)), JSONMember("stream", "org"),
                JSONMember("type", "record.redacted"),
                JSONMember("occurredAt", .string(today)),
                JSONMember(
                    "actor",
                    .object(
                        JSONObject([
                            JSONMember("id", .string(request.actor)),
                            JSONMember("role", .string(worker.role)),
                        ]))),
                JSONMember("data", .object(data)),
            ])
            let input = try JSONWriter.bytes(.object(event)).withUnsafeBufferPointer { line in
                try EventInput.parse(line, line: 1, recordedAt: now) { recordID }
            }
            if try Self.find(recordID, locked: locked, index: index) != nil {
                throw RedactionRefusal("an event with id \(recordID) is already in the log")
            }
            state.acceptsRedactionRecords = true
            try state.check(input.facts, line: 1) { id in
                try Self.find(id, locked: locked, index: index).map {
                    WriteState.Target(type: $0.content.type, stream: $0.content.stream, seq: $0.seq)
                }
            }
            var result = RedactionResult(
                lines: chosen, recordID: recordID, recordSeq: locked.head.seq + 1, rule: rule,
                head: locked.head,
                removed: [], keptSideFiles: [])
            if request.dryRun { return result }

            // The notice each redacted line gets in place of its data and salt.
            let notice = JSONWriter.bytes(
                .object(
                    JSONObject([
                        JSONMember("on", .string(today)),
                        JSONMember("reason", .string(request.reason)),
                        JSONMember("by", .string(request.actor)),
                        JSONMember("record", .string(recordID)),
                    ])))
            var appended: [UInt8] = []
            let hash = LineFormat.encode(
                id: recordID, middle: LineFormat.middle(input.content, recordedAt: now.rfc3339),
                data: JSONWriter.bytes(input.content.data), seq: locked.head.seq + 1,
                prev: locked.head.hash,
                salt: environment.makeSalt(), into: &appended)
            let newHead = LogHead(seq: locked.head.seq + 1, hash: hash, size: 0)
            let redactSeqs = Set(chosen.map(\.seq))
            // Derived files are removed before the new log is put in place (writers wait on the lock meanwhile) and
            // again after (a reader may have written a checkpoint of the old log in between).
            result.removed = Self.purgeDerived(of: locked.path)
            var size = 0
            try locked.replace(
                temporary: locked.path + Self.redactionTemporarySuffix, newHead: newHead
            ) { output in
                var lineScanner = LineScanner()
                try LogReader(path: locked.path).forEachLine(from: 0, to: locked.head.size) {
                    line, position, info in
                    guard info.complete else {
                        throw RedactionRefusal("line \(position.lineNumber) has no newline")
                    }
                    var seq = 0
                    var bodyEnd = 0
                    var hashRange = 0..<0
                    if let scanned = lineScanner.scan(line) {
                        seq = scanned.seq
                        bodyEnd = scanned.bodyEnd
                        hashRange = scanned.hash
                    } else {
                        let record = try LineFormat.decodeStored(line, atByte: position.offset)
                        seq = record.seq
                        bodyEnd = record.bodyRange.upperBound
                        // The reference parser's record has the hash as text; the line is rebuilt from it.
                        if redactSeqs.contains(seq) {
                            var bytes = Array(UnsafeBufferPointer(rebasing: line[0..<bodyEnd]))
                            bytes.append(
                                contentsOf: Array(",\"hash\":\"\(record.hash)\",\"redacted\":".utf8)
                            )
                            bytes.append(contentsOf: notice)
                            bytes.append(contentsOf: Array("}\n".utf8))
                            size += bytes.count
                            try output.write { $0.append(contentsOf: bytes) }
                            return
                        }
                    }
                    if redactSeqs.contains(seq) {
                        try output.write { out in
                            let before = out.count
                            out.append(contentsOf: UnsafeBufferPointer(rebasing: line[0..<bodyEnd]))
                            out.append(contentsOf: Array(",\"hash\":\"".utf8))
                            out.append(contentsOf: UnsafeBufferPointer(rebasing: line[hashRange]))
                            out.append(contentsOf: Array("\",\"redacted\":".utf8))
                            out.append(contentsOf: notice)
                            out.append(contentsOf: Array("}\n".utf8))
                            size += out.count - before
                        }
                    } else {
                        try output.write { out in
                            out.append(contentsOf: line)
                            out.append(0x0A)
                        }
                        size += line.count + 1
                    }
                }
                try output.write { $0.append(contentsOf: appended) }
                size += appended.count
            }
            result.head = LogHead(seq: newHead.seq, hash: hash, size: size)
            result.removed = Array(Set(result.removed + Self.purgeDerived(of: locked.path)))
                .sorted()
            // Side files of torn lines: a partial line of this family holds its data.
            let sideFiles = Self.purgeTornSideFiles(of: locked.path, family: request.family)
            result.removed += sideFiles.removed
            result.keptSideFiles = sideFiles.kept
            return result
        }
    }

    /// Removes every derived file beside the log (they are rebuilt from it) and any temporary a writer of one left;
    /// the paths removed.
    static func purgeDerived(of path: String) -> [String] {
        var removed: [String] = []
        for suffix in DerivedFiles.suffixes {
            for candidate in [path + suffix, path + suffix + ".new"]
            where FileOutput.size(candidate) != nil {
                FileOutput.remove(candidate)
                removed.append(candidate)
            }
        }
        return removed
    }

    /// The side files `recover` left (`<log>.torn-N`, a partial line each): removed when they hold a line of
    /// `family`; kept, and named, when too little of the line is there to tell whose it was.
    static func purgeTornSideFiles(of path: String, family: String) -> (
        removed: [String], kept: [String]
    ) {
        let directory = FileOutput.directory(of: path)
        let prefix = String(path.split(separator: "/").last ?? Substring(path)) + ".torn-"
        var removed: [String] = []
        var kept: [String] = []
        for name in FileOutput.names(in: directory) where name.hasPrefix(prefix) {
            let side = path.contains("/") ? directory + "/" + name : name
            guard let bytes = FileOutput.read(side) else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            if text.contains("\"stream\":\"family:\(family)\"") {
                FileOutput.remove(side)
                removed.append(side)
            } else if !text.contains("\"stream\":\"") || !text.contains("\",\"type\":") {
                // Cut before its stream was written: whose it was cannot be told.
                kept.append(side)
            }
        }
        return (removed, kept)
    }
}

/// A usage error raised below the CLI (the CLI reports it as one).
public struct UsageErrorText: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
