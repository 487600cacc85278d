import EventLog

/// The checkpoint's base file, searched in place: a lookup is a binary search over its bytes (the stream lines
/// are sorted by name, and no index of them is built), so an append parses only the streams it asks for.
package final class WriteStateBase: @unchecked Sendable {
    package let bytes: [UInt8]
    package let head: LogHead
    package let adoptions: [WriteState.Adoption]
    /// The SHA-256 of the file before its `C` line, in hex: checked on reading, and named by its delta.
    package let checksum: String
    /// Whether the delta on disk belongs to another base (or is missing), so the next save starts it anew.
    package var deltaNeedsReset = false
    /// Where the stream lines start (after the header's "--" line).
    private let dataStart: Int
    /// Where the stream lines end (the `C` line's start).
    private let dataEnd: Int
    /// The workers and the systems, decoded once when the base is read: every event's actor is looked up as
    /// both (and a staffing event's worker too), and they are a few lines among the families', where a search
    /// of the bytes for each event cost a fifth of an ingest into the 1M-event log.
    private var workers: [String: WriteState.Worker] = [:]
    private var systems: [String: WriteState.System] = [:]

    /// Nil unless the whole file is there and passes its checksum.
    package init?(_ whole: [UInt8]) {
        // The last line, `C\t<64 hex>\n`, is the checksum of everything before it.
        let trailer = 2 + 64 + 1
        guard whole.count > trailer, whole[whole.count - 1] == 0x0A,
            whole[whole.count - trailer - 1] == 0x0A,
            whole[whole.count - trailer] == UInt8(ascii: "C"),
            whole[whole.count - trailer + 1] == 0x09
        else { return nil }
        let checksum = String(
            decoding: whole[(whole.count - 65)..<(whole.count - 1)], as: UTF8.self)
        guard SHA256.hash(whole[..<(whole.count - trailer)]).hex == checksum else { return nil }
        self.checksum = checksum
        bytes = whole
        dataEnd = whole.count - trailer
        var position = 0
        var header: [Substring] = []
        // Header lines up to "--".
        var separatorFound = false
        while position < dataEnd {
            guard let end = bytes[position..<dataEnd].firstIndex(of: 0x0A) else { return nil }
            let line = String(decoding: bytes[position..<end], as: UTF8.self)
            position = end + 1
            if line == "--" {
                separatorFound = true
                break
            }
            header.append(Substring(line))
        }
        guard separatorFound, header.first == Substring(WriteStateCoding.magic), header.count >= 2,
            let stamp = WriteStateCoding.decodeStamp(header[1])
        else { return nil }
        head = stamp
        var adoptions: [WriteState.Adoption] = []
        for line in header.dropFirst(2) {
            guard let adoption = WriteStateCoding.decodeAdoption(line) else { return nil }
            adoptions.append(adoption)
        }
        self.adoptions = adoptions
        dataStart = position
        workers = records(named: "worker:") { $0.worker }
        systems = records(named: "system:") { $0.system }
    }

    /// What `take` finds in each stream line whose name starts with `prefix` (they are contiguous: the lines
    /// are sorted by name), by the name after the prefix.
    private func records<Value>(
        named prefix: String, _ take: (WriteStateCoding.StreamRecord) -> Value?
    ) -> [String: Value] {
        let key = Array(prefix.utf8)
        var found: [String: Value] = [:]
        var start = firstLine(notBefore: key)
        while start < dataEnd, name(at: start).starts(with: key) {
            let end = lineStart(atOrAfter: start + 1)
            if let record = decode(start, end), let value = take(record) {
                found[String(record.stream.dropFirst(prefix.count))] = value
            }
            start = end
        }
        return found
    }

    /// The first line start at or after `position` (the end of the stream lines when there is none).
    private func lineStart(atOrAfter position: Int) -> Int {
        if position <= dataStart { return dataStart }
        guard position - 1 < dataEnd else { return dataEnd }
        // A probe of the binary search scans one line (~100 bytes): a plain search, no C library call.
        guard let found = bytes[(position - 1)..<dataEnd].firstIndex(of: 0x0A) else {
            return dataEnd
        }
        return found + 1
    }

    /// The stream name of the line starting at `start`.
    private func name(at start: Int) -> ArraySlice<UInt8> {
        var end = start
        while end < dataEnd && bytes[end] != 0x09 && bytes[end] != 0x0A { end += 1 }
        return bytes[start..<end]
    }

    package func record(_ stream: String) -> WriteStateCoding.StreamRecord? {
        let key = Array(stream.utf8)
        let start = firstLine(notBefore: key)
        guard start < dataEnd, name(at: start).elementsEqual(key) else { return nil }
        return decode(start, lineStart(atOrAfter: start + 1))
    }

    /// The first stream line whose name is not before `key` (`dataEnd` when there is none).
    private func firstLine(notBefore key: [UInt8]) -> Int {
        // `low` and `high` are line starts, the answer between.
        var low = dataStart
        var high = dataEnd
        while low < high {
            var middle = lineStart(atOrAfter: (low + high) / 2)
            if middle >= high { middle = low }
            if name(at: middle).lexicographicallyPrecedes(key) {
                low = lineStart(atOrAfter: middle + 1)
            } else {
                high = middle
            }
        }
        return low
    }

    /// The stream line from `start` to `end` (the next line's start), decoded.
    private func decode(_ start: Int, _ end: Int) -> WriteStateCoding.StreamRecord? {
        let line = bytes[start..<(end > start && bytes[end - 1] == 0x0A ? end - 1 : end)]
        return WriteStateCoding.decodeStream(Substring(String(decoding: line, as: UTF8.self)))
    }

    package func family(_ ref: String) -> WriteState.Family? { record("family:" + ref)?.family }

    package func system(_ id: String) -> WriteState.System? { systems[id] }
    /// Every family, decoded (for the rare amendment that re-judges the whole log).
    package func families() -> [String: WriteState.Family] {
        records(named: "family:") { $0.family }
    }
    package func worker(_ id: String) -> WriteState.Worker? { workers[id] }
    package func count(_ stream: String) -> Int? { record(stream)?.count }
    package func orgHolds() -> [WriteState.Hold]? { record("org")?.orgHolds }
    package func voided(_ stream: String) -> [Int]? { record(stream)?.voided }

    /// Every stream in the base (for compaction).
    package func allStreams() -> [String] {
        var streams: [String] = []
        var start = dataStart
        while start < dataEnd {
            streams.append(String(decoding: name(at: start), as: UTF8.self))
            start = lineStart(atOrAfter: start + 1)
        }
        return streams
    }
}
