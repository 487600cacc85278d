/// Why a stored line does not follow the line format of EVENTS.md §1.
public struct LineFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The member concerned, or `line` for the whole line.
    public var field: String
    /// What is wrong.
    public var reason: String

    public var description: String { "\(field): \(reason)" }
}

/// The exact line format of EVENTS.md §1: member order, the hash chain and the salted data hash.
public enum LineFormat {
    /// `prev` of the first line.
    public static let genesisHash = String(repeating: "0", count: 64)
    /// Longest line accepted, in bytes, newline excluded.
    public static let maxLineBytes = 1 << 20

    /// Builds the stored line (with its trailing newline) and returns it with its hash.
    public static func encode(
        _ content: RecordContent, seq: Int, recordedAt: String, prev: String, salt: String
    ) -> (line: [UInt8], hash: String) {
        let data = JSONWriter.bytes(content.data)
        let members = middle(content, recordedAt: recordedAt)
        var line: [UInt8] = []
        line.reserveCapacity(data.count + members.count + 256)
        let hash = encode(
            id: content.id, middle: members, data: data, seq: seq, prev: prev, salt: salt,
            into: &line)
        return (line, hash)
    }

    /// The members of a stored line between its id and its `dataHash` (`,"stream":…` up to the actor, or the
    /// source when there is one): they depend only on the event and the time of the append, so they can be
    /// written before the event's place in the log is known.
    public static func middle(_ content: RecordContent, recordedAt: String) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        func key(_ name: StaticString) {
            name.withUTF8Buffer { line.append(contentsOf: $0) }
        }
        key(",\"stream\":")
        JSONWriter.writeString(content.stream, into: &line)
        key(",\"type\":")
        JSONWriter.writeString(content.type, into: &line)
        key(",\"v\":")
        line.append(contentsOf: String(content.version).utf8)
        key(",\"occurredAt\":")
        JSONWriter.writeString(content.occurredAt, into: &line)
        key(",\"recordedAt\":")
        JSONWriter.writeString(recordedAt, into: &line)
        key(",\"actor\":")
        JSONWriter.write(content.actor, into: &line)
        if let source = content.source {
            key(",\"source\":")
            JSONWriter.write(source, into: &line)
        }
        return line
    }

    /// `middle` from a writer's line that `LineScanner.scanWriter` accepted: its strings need no escape and its
    /// objects are already in stored form, so the bytes go in as they are. The same bytes as `middle(_:recordedAt:)`
    /// of the content the reference parser reads from the line.
    public static func middle(
        _ written: WriterLine, line: UnsafeBufferPointer<UInt8>, recordedAt: String
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + written.actor.count + (written.source?.count ?? 0))
        func key(_ name: StaticString) {
            name.withUTF8Buffer { out.append(contentsOf: $0) }
        }
        func bytes(_ range: Range<Int>) {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: line[range]))
        }
        key(",\"stream\":\"")
        bytes(written.stream)
        key("\",\"type\":\"")
        bytes(written.type)
        key("\",\"v\":")
        out.append(contentsOf: String(written.version ?? 1).utf8)
        key(",\"occurredAt\":\"")
        bytes(written.occurredAt)
        key("\",\"recordedAt\":")
        JSONWriter.writeString(recordedAt, into: &out)
        key(",\"actor\":")
        bytes(written.actor)
        if let source = written.source {
            key(",\"source\":")
            bytes(source)
        }
        return out
    }

    /// `RecordContent.fingerprint` of the event whose stored line is built from `id`, `middle` (made with
    /// `recordedAt`) and `data` in stored form: the writer's members in the same order, without `recordedAt`.
    public static func fingerprint(id: String, middle: [UInt8], recordedAt: String, data: [UInt8])
        -> [UInt8]
    {
        var member: [UInt8] = Array(",\"recordedAt\":".utf8)
        JSONWriter.writeString(recordedAt, into: &member)
        var out: [UInt8] = Array("{\"id\":".utf8)
        out.reserveCapacity(middle.count + data.count + id.utf8.count + 16)
        JSONWriter.writeString(id, into: &out)
        // The first match is the member: inside a string every quote is escaped, and this one follows a comma.
        if let at = middle.firstRange(of: member) {
            out.append(contentsOf: middle[..<at.lowerBound])
            out.append(contentsOf: middle[at.upperBound...])
        } else {
            out.append(contentsOf: middle)
        }
        out.append(contentsOf: Array(",\"data\":".utf8))
        out.append(contentsOf: data)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Whether two fingerprints (`RecordContent.fingerprint`) are of the same event: byte for byte, or, for a
    /// writer that re-serialised it, the same JSON value (`JSONValue.isSame`: members in another order, another
    /// escape, another spelling of a number).
    public static func sameContent(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        if a == b { return true }
        guard let x = try? JSONParser.parse(a), let y = try? JSONParser.parse(b) else {
            return false
        }
        return x.isSame(as: y)
    }

    /// Appends the stored line built from its id, its `middle` and its data in stored form, at `seq` after
    /// `prev` (with its newline), to `out`, which may already hold lines (a batch being built); returns the line's
    /// hash.
    public static func encode(
        id: String, middle: [UInt8], data: [UInt8], seq: Int, prev: String, salt: String,
        into out: inout [UInt8]
    ) -> String {
        var dataHasher = SHA256()
        dataHasher.update(salt)
        dataHasher.update(data)
        let dataHash = dataHasher.finalize()

        let start = out.count
        func key(_ name: StaticString) {
            name.withUTF8Buffer { out.append(contentsOf: $0) }
        }
        key("{\"seq\":")
        out.append(contentsOf: String(seq).utf8)
        key(",\"id\":")
        JSONWriter.writeString(id, into: &out)
        out.append(contentsOf: middle)
        key(",\"dataHash\":\"")
        dataHash.appendHex(to: &out)
        key("\",\"prev\":\"")
        out.append(contentsOf: prev.utf8)
        out.append(UInt8(ascii: "\""))
        let hash = out.withUnsafeBytes {
            SHA256.hash(UnsafeRawBufferPointer(rebasing: $0[start...]))
        }.hex
        key(",\"hash\":\"")
        out.append(contentsOf: hash.utf8)
        key("\",\"data\":")
        out.append(contentsOf: data)
        key(",\"salt\":\"")
        out.append(contentsOf: salt.utf8)
        key("\"}\n")
        return hash
    }

    /// Parses one stored line (without its newline) and checks its shape. It does not check the hashes:
    /// `verifyHashes` does that.
    public static func decode(_ line: UnsafeBufferPointer<UInt8>) throws(LineFormatError)
        -> LedgerRecord
    {
        guard line.count <= maxLineBytes else {
            throw LineFormatError(field: "line", reason: "longer than \(maxLineBytes) bytes")
        }
        guard line.first == UInt8(ascii: "{") else {
            throw LineFormatError(field: "line", reason: "does not start with '{'")
        }
        let members: [(member: JSONMember, span: Range<Int>)]
        do { members = try JSONParser.parseObjectWithSpans(line) } catch {
            throw LineFormatError(field: "line", reason: "not valid JSON: \(error)")
        }
        var index = 0
        func take(_ name: String, optional: Bool = false) throws(LineFormatError) -> (
            JSONValue, Range<Int>
        )? {
            if index < members.count, members[index].member.key == name {
                defer { index += 1 }
                return (members[index].member.value, members[index].span)
            }
            if optional { return nil }
            let found =
                index < members.count ? "\"\(members[index].member.key)\"" : "the end of the line"
            throw LineFormatError(
                field: name, reason: "expected here in member order, found \(found)")
        }
        func string(_ name: String) throws(LineFormatError) -> String {
            guard let (value, _) = try take(name), let text = value.stringValue else {
                throw LineFormatError(field: name, reason: "must be a string")
            }
            return text
        }
        func hex(_ name: String, count: Int) throws(LineFormatError) -> String {
            let text = try string(name)
            guard Hex.isLowercaseHex(text.utf8, count: count) else {
                throw LineFormatError(field: name, reason: "must be \(count) lowercase hex digits")
            }
            return text
        }
        guard let (seqValue, _) = try take("seq"), let seq = seqValue.intValue, seq >= 1 else {
            throw LineFormatError(field: "seq", reason: "must be an integer ≥ 1")
        }
        let id = try string("id")
        let stream = try string("stream")
        let type = try string("type")
        guard let (versionValue, _) = try take("v"), let version = versionValue.intValue,
            version >= 1
        else {
            throw LineFormatError(field: "v", reason: "must be an integer ≥ 1")
        }
        let occurredAt = try string("occurredAt")
        let recordedAt = try string("recordedAt")
        guard let (actor, _) = try take("actor"), actor.objectValue != nil else {
            throw LineFormatError(field: "actor", reason: "must be an object")
        }
        let source = try take("source", optional: true)?.0
        if let source, source.objectValue == nil {
            throw LineFormatError(field: "source", reason: "must be an object")
        }
        let dataHash = try hex("dataHash", count: 64)
        let prevIndex = index
        let prev = try hex("prev", count: 64)
        let bodyEnd = members[prevIndex].span.upperBound
        let hash = try hex("hash", count: 64)
        var data: JSONValue = .object(JSONObject())
        var dataRange: Range<Int>?
        var salt: String?
        var redacted: JSONValue?
        if let (value, span) = try take("data", optional: true) {
            guard value.objectValue != nil else {
                throw LineFormatError(field: "data", reason: "must be an object")
            }
            data = value
            dataRange = span
            salt = try hex("salt", count: 32)
        } else if let (value, _) = try take("redacted", optional: true) {
            redacted = value
        } else {
            throw LineFormatError(
                field: "data", reason: "expected \"data\" or \"redacted\" after \"hash\"")
        }
        if index < members.count {
            throw LineFormatError(
                field: members[index].member.key, reason: "unexpected member after the last one")
        }
        let content = RecordContent(
            id: id, stream: stream, type: type, version: version, occurredAt: occurredAt,
            actor: actor,
            source: source, data: data)
        return LedgerRecord(
            seq: seq, content: content, recordedAt: recordedAt, dataHash: dataHash, prev: prev,
            hash: hash,
            salt: salt, redacted: redacted, bodyRange: 0..<bodyEnd, dataRange: dataRange)
    }

    /// Parses a stored line by the fast path (`LineScanner`) when the line is in the shape the ledger writes, and
    /// by the reference parser otherwise: the same record either way, the reference's reason when it is refused.
    public static func decode(_ line: UnsafeBufferPointer<UInt8>, scanner: inout LineScanner)
        throws(LineFormatError)
        -> LedgerRecord
    {
        guard let scanned = scanner.scan(line) else { return try decode(line) }
        return record(scanned, line: line, scanner: &scanner)
    }

    /// The record of a line the scanner accepted.
    public static func record(_ scanned: ScannedLine, line: UnsafeBufferPointer<UInt8>)
        -> LedgerRecord
    {
        var scanner = LineScanner()
        return record(scanned, line: line, scanner: &scanner)
    }

    /// The writer's part of a line the scanner accepted, built with the scanner's scratch space.
    public static func content(
        _ scanned: ScannedLine, line: UnsafeBufferPointer<UInt8>, scanner: inout LineScanner
    )
        -> RecordContent
    {
        RecordContent(
            id: String(scanned: line, scanned.id), stream: String(scanned: line, scanned.stream),
            type: String(scanned: line, scanned.type), version: scanned.version,
            occurredAt: String(scanned: line, scanned.occurredAt),
            actor: scanner.value(line, scanned.actor),
            source: scanned.source.map { scanner.value(line, $0) },
            data: scanned.data.map { scanner.value(line, $0) } ?? .object(JSONObject()))
    }

    /// The record of a line the scanner accepted, built with the scanner's scratch space.
    public static func record(
        _ scanned: ScannedLine, line: UnsafeBufferPointer<UInt8>, scanner: inout LineScanner
    )
        -> LedgerRecord
    {
        let content = content(scanned, line: line, scanner: &scanner)
        return LedgerRecord(
            seq: scanned.seq, content: content,
            recordedAt: String(scanned: line, scanned.recordedAt),
            dataHash: String(scanned: line, scanned.dataHash),
            prev: String(scanned: line, scanned.prev),
            hash: String(scanned: line, scanned.hash),
            salt: scanned.salt.map { String(scanned: line, $0) },
            redacted: scanned.redacted.map { scanner.value(line, $0) },
            bodyRange: 0..<scanned.bodyEnd,
            dataRange: scanned.data)
    }

    /// Parses a line already in the log, for the derived files' catch-up: a line that does not parse there means
    /// the log itself is damaged (`ledger verify` says where).
    public static func decodeStored(_ line: UnsafeBufferPointer<UInt8>, atByte offset: Int)
        throws(EventLogError) -> LedgerRecord
    {
        var scanner = LineScanner()
        do { return try decode(line, scanner: &scanner) } catch {
            throw EventLogError.malformedLine(
                seq: nil, lineNumber: 0, problem: "at byte \(offset): \(error)")
        }
    }

    /// Parses a stored line held in an array.
    public static func decode(_ line: [UInt8]) throws(LineFormatError) -> LedgerRecord {
        let result: Result<LedgerRecord, LineFormatError> = line.withUnsafeBufferPointer { buffer in
            do throws(LineFormatError) { return .success(try decode(buffer)) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Recomputes `hash` over the body and `dataHash` over salt + stored data bytes; names the first mismatch.
    public static func verifyHashes(_ record: LedgerRecord, line: UnsafeBufferPointer<UInt8>)
        throws(LineFormatError)
    {
        let body = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[record.bodyRange]))
        if SHA256.hash(body).hex != record.hash { throw hashMismatch }
        if let dataRange = record.dataRange, let salt = record.salt {
            var hasher = SHA256()
            hasher.update(salt)
            hasher.update(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[dataRange])))
            if hasher.finalize().hex != record.dataHash { throw dataHashMismatch }
        }
    }

    /// The same check on a line the scanner accepted, comparing the digests with the hex in place.
    /// Returns the line's hash (which then is the one the line states), so a caller need not read its hex.
    @discardableResult
    public static func verifyHashes(_ scanned: ScannedLine, line: UnsafeBufferPointer<UInt8>)
        throws(LineFormatError)
        -> SHA256.Digest
    {
        let spans = ChainSpans(scanned)
        return try verifyHashes(spans, line: line, digests: digests(spans, line: line))
    }

    /// `verifyHashes` with the line's digests already computed (`digests`, two lines at once).
    @discardableResult
    public static func verifyHashes(
        _ spans: ChainSpans, line: UnsafeBufferPointer<UInt8>, digests: LineDigests
    ) throws(LineFormatError) -> SHA256.Digest {
        if !digests.body.matches(hex: spans.hex(spans.hash, in: line)) { throw hashMismatch }
        if let data = digests.data, !data.matches(hex: spans.hex(spans.dataHash, in: line)) {
            throw dataHashMismatch
        }
        return digests.body
    }

    /// The SHA-256 of a scanned line's body, and of its salt and data (when it has them), computed side by side.
    public static func digests(_ spans: ChainSpans, line: UnsafeBufferPointer<UInt8>)
        -> LineDigests
    {
        let body = spans.body(in: line)
        guard let (salt, data) = spans.saltAndData(in: line) else {
            return LineDigests(body: SHA256.digest(body), data: nil)
        }
        let (bodyDigest, dataDigest) = SHA256.digests((body, ChainSpans.none), (salt, data))
        return LineDigests(body: bodyDigest, data: dataDigest)
    }

    /// `digests` of two scanned lines at once: the two bodies side by side, then the two salts and data.
    public static func digests(
        _ a: ChainSpans, line lineA: UnsafeBufferPointer<UInt8>,
        _ b: ChainSpans, line lineB: UnsafeBufferPointer<UInt8>
    ) -> (LineDigests, LineDigests) {
        let bodies = SHA256.digests(
            (a.body(in: lineA), ChainSpans.none), (b.body(in: lineB), ChainSpans.none))
        var results = (
            LineDigests(body: bodies.0, data: nil), LineDigests(body: bodies.1, data: nil)
        )
        switch (a.saltAndData(in: lineA), b.saltAndData(in: lineB)) {
        case (let first?, let second?):
            let data = SHA256.digests(first, second)
            results.0.data = data.0
            results.1.data = data.1
        case (let first?, nil):
            results.0.data = SHA256.digest(first.0, first.1)
        case (nil, let second?):
            results.1.data = SHA256.digest(second.0, second.1)
        case (nil, nil): break
        }
        return results
    }

    static let hashMismatch = LineFormatError(
        field: "hash", reason: "does not match the SHA-256 of the line's body")
    static let dataHashMismatch = LineFormatError(
        field: "dataHash", reason: "does not match the SHA-256 of salt and data")
}

/// The SHA-256 digests a stored line's two hashes are checked against: of its body (`hash`), and of its salt and
/// data (`dataHash`; nil for a line without data, a redacted one).
public struct LineDigests: Sendable, Equatable {
    public var body: SHA256.Digest
    public var data: SHA256.Digest?
}

/// Where a scanned line's chain members are (offsets in the line): all its link is made of, small enough to keep
/// for a line while the next is scanned (`ChainLinker`).
public struct ChainSpans: Sendable {
    public var seq: Int
    /// The end of the chained body (just after `prev`'s closing quote).
    var bodyEnd: Int
    /// Where the 64 hex digits of `prev`, `hash` and `dataHash` start.
    var prev: Int
    var hash: Int
    var dataHash: Int
    /// The data's bytes and where the salt's 32 hex digits start (a redacted line has neither: -1).
    var dataStart = -1
    var dataEnd = -1
    var salt = -1

    public init(_ scanned: ScannedLine) {
        seq = scanned.seq
        bodyEnd = scanned.bodyEnd
        prev = scanned.prev.lowerBound
        hash = scanned.hash.lowerBound
        dataHash = scanned.dataHash.lowerBound
        if let data = scanned.data, let salt = scanned.salt {
            dataStart = data.lowerBound
            dataEnd = data.upperBound
            self.salt = salt.lowerBound
        }
    }

    static var none: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    func hex(_ start: Int, in line: UnsafeBufferPointer<UInt8>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[start..<(start + 64)]))
    }

    /// The bytes `hash` covers.
    func body(in line: UnsafeBufferPointer<UInt8>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[0..<bodyEnd]))
    }

    /// The bytes `dataHash` covers, salt first; nil for a line without data.
    func saltAndData(in line: UnsafeBufferPointer<UInt8>) -> (
        UnsafeRawBufferPointer, UnsafeRawBufferPointer
    )? {
        guard salt >= 0 else { return nil }
        return (
            UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[salt..<(salt + 32)])),
            UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[dataStart..<dataEnd]))
        )
    }
}
