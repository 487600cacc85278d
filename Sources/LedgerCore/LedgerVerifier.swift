import EventLog

/// The result of a successful verification.
public struct VerifyReport: Sendable, Equatable {
    /// Lines checked.
    public var events: Int
    /// The head: last seq and hash.
    public var head: LogHead
    /// Lines whose payload was redacted (their data could not be re-validated).
    public var redacted: Int
}

/// Why verification failed: the first bad line.
public struct VerifyFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The seq the line should have had (its position), which is the first bad seq.
    public var seq: Int
    /// The line number in the file.
    public var line: Int
    /// What is wrong.
    public var problem: String

    /// A failure at `seq`.
    public init(seq: Int, line: Int, problem: String) {
        self.seq = seq
        self.line = line
        self.problem = problem
    }

    public var description: String { "first bad seq \(seq) (line \(line)): \(problem)" }
}

/// Recomputes the hash chain and re-validates every event, from the log alone (no derived file is trusted).
public enum LedgerVerifier {
    /// Verifies the log at `path`. `expectHead` (seq, hash) proves the log still extends a head written down
    /// earlier. `progress` is called now and then with the count of lines checked.
    public static func verify(
        path: String, expectHead: (seq: Int, hash: String)? = nil, progress: ((Int) -> Void)? = nil
    ) throws -> VerifyReport {
        let file = LedgerFile(path: path)
        if file.isSymlink { throw EventLogError.symlink(path: path) }
        guard file.exists else { throw EventLogError.missing(path: path) }
        var previousHash = LineFormat.genesisHash
        var expectedSeq = 1
        var state = WriteState()
        // id key → (id, type, stream) of every event so far: duplicates and correction targets.
        var seen: [UInt64: [(id: String, type: String, stream: String)]] = [:]
        var redacted = 0
        var lastSize = 0
        var anchorMatched = expectHead == nil || expectHead?.seq == 0
        try LogReader(path: path).forEachLine { line, position, info in
            let seq = expectedSeq
            func fail(_ problem: String) -> VerifyFailure {
                VerifyFailure(seq: seq, line: position.lineNumber, problem: problem)
            }
            guard info.complete else {
                throw fail("torn last line (\(info.length) bytes without a newline): run `ledger recover`")
            }
            if info.tooLong { throw fail("line longer than 1 MiB") }
            let record: LedgerRecord
            do { record = try LineFormat.decode(line) } catch { throw fail("not in the line format: \(error)") }
            if record.seq != seq { throw fail("seq is \(record.seq), expected \(seq) (a line is missing, added or moved)") }
            if record.prev != previousHash {
                throw fail("prev does not match the hash of seq \(seq - 1) (a line before it was changed, removed or reordered)")
            }
            do { try LineFormat.verifyHashes(record, line: line) } catch { throw fail("\(error) (the line was altered)") }
            if let anchor = expectHead, anchor.seq == seq {
                if record.hash != anchor.hash {
                    throw fail("hash differs from the anchored head \(anchor.seq):\(anchor.hash.prefix(12))… (the log was rewritten)")
                }
                anchorMatched = true
            }
            // Re-validate as the append did, at the time it was recorded.
            let content = record.content
            let key = IdIndex.key(content.id)
            if seen[key]?.contains(where: { $0.id == content.id }) == true {
                throw fail("id \"\(content.id)\" appears twice")
            }
            guard let recordedAt = Timestamp(rfc3339: record.recordedAt) else {
                throw fail("recordedAt is not an RFC 3339 date-time")
            }
            if record.redacted != nil {
                redacted += 1
            } else {
                do {
                    let input = try EventInput.parse(content.writerObject, line: position.lineNumber, recordedAt: recordedAt) { content.id }
                    try state.check(input, line: position.lineNumber) { id in
                        seen[IdIndex.key(id)]?.first(where: { $0.id == id }).map {
                            WriteState.Target(type: $0.type, stream: $0.stream)
                        }
                    }
                } catch let error as ValidationError {
                    throw fail("would be refused today: \(error.reason)")
                }
            }
            state.apply(content) { id in seen[IdIndex.key(id)]?.first(where: { $0.id == id })?.type }
            seen[key, default: []].append((content.id, content.type, content.stream))
            previousHash = record.hash
            expectedSeq += 1
            lastSize = position.offset + line.count + 1
            if seq % 100_000 == 0 { progress?(seq) }
        }
        if let anchor = expectHead, !anchorMatched {
            throw VerifyFailure(
                seq: expectedSeq, line: expectedSeq,
                problem: "the log ends at seq \(expectedSeq - 1), before the anchored head \(anchor.seq) (it was truncated)")
        }
        return VerifyReport(
            events: expectedSeq - 1, head: LogHead(seq: expectedSeq - 1, hash: previousHash, size: lastSize),
            redacted: redacted)
    }
}
