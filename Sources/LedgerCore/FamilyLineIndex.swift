import EventLog

/// Where each family's lines are in a log, so that a rebuild reads only the lines of the families whose pages it
/// writes: for each family stream (by its route, `StoredEvent.route`), the offset, length and seq of every line,
/// and the last seq that changed what the log says of the family: its own last line, or a later `record.redacted`
/// naming it (a redaction rewrites the family's lines in place, on the organisation's stream).
///
/// It covers the log up to a line's end (`size`, the line of seq `seq`) and is extended over the lines after
/// that. A family's lines are kept coded (LEB128 numbers: the gap from the end of the family's line before, the
/// length, the seq's step), about 6 bytes a line, and decoded only for the families read. Lines are found by
/// their stated stream and seq (`LineScanner.peek`, or the reference parser for a line in another shape); what is
/// in them is checked when they are read (`EventScanner.events(of:lines:)`).
public struct FamilyLineIndex: Sendable, Equatable {
    /// One line of a family: where it starts, its length (without the newline) and its seq.
    public struct Line: Sendable, Equatable {
        public var offset: Int
        public var length: Int
        public var seq: Int

        public init(offset: Int, length: Int, seq: Int) {
            self.offset = offset
            self.length = length
            self.seq = seq
        }
    }

    /// One family's lines, coded, with its last line and last seq.
    package struct Family: Sendable, Equatable {
        package var lastSeq = 0
        var count = 0
        /// The end of its last line (after the newline) and that line's seq: where the next line's numbers are
        /// counted from.
        var end = 0
        var lineSeq = 0
        var coded: [UInt8] = []

        package init() {}

        init(lastSeq: Int, count: Int, end: Int, lineSeq: Int, coded: [UInt8]) {
            self.lastSeq = lastSeq
            self.count = count
            self.end = end
            self.lineSeq = lineSeq
            self.coded = coded
        }

        package mutating func add(_ line: Line) {
            Self.append(line.offset - end, to: &coded)
            Self.append(line.length, to: &coded)
            Self.append(line.seq - lineSeq, to: &coded)
            end = line.offset + line.length + 1
            lineSeq = line.seq
            lastSeq = max(lastSeq, line.seq)
            count += 1
        }

        static func append(_ value: Int, to out: inout [UInt8]) {
            var rest = UInt64(bitPattern: Int64(value))
            while rest >= 0x80 {
                out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
                rest >>= 7
            }
            out.append(UInt8(rest))
        }

        /// The lines, decoded; nil when the coding does not hold together (never so for one this type made).
        var lines: [Line]? {
            var lines: [Line] = []
            lines.reserveCapacity(count)
            var index = 0
            func next() -> Int? {
                var value: UInt64 = 0
                var shift: UInt64 = 0
                while index < coded.count, shift < 64 {
                    let byte = coded[index]
                    index += 1
                    value |= UInt64(byte & 0x7F) << shift
                    if byte < 0x80 { return Int(truncatingIfNeeded: Int64(bitPattern: value)) }
                    shift += 7
                }
                return nil
            }
            var end = 0
            var seq = 0
            for _ in 0..<count {
                guard let gap = next(), let length = next(), let step = next(), gap >= 0,
                    length >= 0, step > 0
                else { return nil }
                let line = Line(offset: end + gap, length: length, seq: seq + step)
                lines.append(line)
                end = line.offset + length + 1
                seq = line.seq
            }
            return index == coded.count ? lines : nil
        }
    }

    package var families: [UInt64: Family] = [:]
    /// The log's size covered: the end of line `seq`.
    public package(set) var size = 0
    /// The seq of the last line covered.
    public package(set) var seq = 0

    /// An index of nothing (the log before its first line).
    public init() {}

    /// How many family streams it knows.
    public var familyCount: Int { families.count }

    /// The route of a family's stream.
    public static func route(ofFamily ref: String) -> UInt64 {
        StoredEvent.route(of: "family:" + ref)
    }

    /// The last seq that changed what the log says of a family (its last line, or a later redaction of it); nil
    /// for a family the index has no line of.
    public func lastSeq(ofFamily ref: String) -> Int? {
        families[Self.route(ofFamily: ref)]?.lastSeq
    }

    /// Every family stream's last seq (`lastSeq(ofFamily:)`), by the stream's route: what a caller keeps of the
    /// index when it lets go of the rest (the lines).
    public var lastSeqs: [UInt64: Int] { families.mapValues(\.lastSeq) }

    /// A family's lines, in log order (with those of any other stream that shares its route); nil when it has
    /// none, or when its coding does not hold together.
    public func lines(ofFamily ref: String) -> [Line]? {
        families[Self.route(ofFamily: ref)]?.lines
    }

    package static let redactionType = Array("record.redacted".utf8)

    // MARK: coding

    static let magic = Array("ledger-family-lines 1\n".utf8)

    /// The index as bytes: a fixed start, what it covers, then each family (route, last seq, count, end, the seq
    /// of its last line, and its coded lines), in route order so that the same index is always the same bytes.
    public func encoded() -> [UInt8] {
        var out = Self.magic
        for value in [size, seq, families.count] { Family.append(value, to: &out) }
        for route in families.keys.sorted() {
            guard let family = families[route] else { continue }
            withUnsafeBytes(of: route.littleEndian) { out.append(contentsOf: $0) }
            for value in [
                family.lastSeq, family.count, family.end, family.lineSeq, family.coded.count,
            ] {
                Family.append(value, to: &out)
            }
            out.append(contentsOf: family.coded)
        }
        return out
    }

    /// Where one family's coded lines are in an encoded index (`encoded`), and what else it says of them.
    public struct Place: Sendable, Equatable {
        /// The coded lines' offset in the encoded bytes, and their length.
        public var start: Int
        public var length: Int
        public var count: Int
        public var lastSeq: Int
        var end: Int
        var lineSeq: Int
    }

    /// What an encoded index covers (the bytes from `start`), and where each family's coded lines are in `bytes`,
    /// by the family stream's route: for a reader that reads them where they lie (`lines(coded:count:)`); nil when
    /// the bytes are not an index.
    public static func places(in bytes: [UInt8], from start: Int = 0) -> (
        size: Int, seq: Int, places: [UInt64: Place]
    )? {
        guard start >= 0, start <= bytes.count, bytes[start...].starts(with: Self.magic) else {
            return nil
        }
        var index = start + Self.magic.count
        func next() -> Int? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return Int(truncatingIfNeeded: Int64(bitPattern: value)) }
                shift += 7
            }
            return nil
        }
        guard let size = next(), let seq = next(), let count = next(), size >= 0, seq >= 0,
            count >= 0, count <= bytes.count
        else { return nil }
        var places: [UInt64: Place] = [:]
        places.reserveCapacity(count)
        for _ in 0..<count {
            guard index + 8 <= bytes.count else { return nil }
            var route: UInt64 = 0
            for shift in 0..<8 { route |= UInt64(bytes[index + shift]) << (8 * UInt64(shift)) }
            index += 8
            guard let lastSeq = next(), let lines = next(), let end = next(), let lineSeq = next(),
                let length = next(), lines >= 0, length >= 0, length <= bytes.count - index
            else { return nil }
            places[route] = Place(
                start: index, length: length, count: lines, lastSeq: lastSeq, end: end,
                lineSeq: lineSeq)
            index += length
        }
        guard index == bytes.count else { return nil }
        return (size, seq, places)
    }

    /// A family's lines from their coding (`count` of them); nil when it does not hold together.
    public static func lines(coded: [UInt8], count: Int) -> [Line]? {
        Family(lastSeq: 0, count: count, end: 0, lineSeq: 0, coded: coded).lines
    }

    /// The index `encoded` made; nil when the bytes are not one.
    public init?(decoding bytes: [UInt8]) {
        guard let (size, seq, places) = Self.places(in: bytes) else { return nil }
        self.size = size
        self.seq = seq
        families.reserveCapacity(places.count)
        for (route, place) in places {
            families[route] = Family(
                lastSeq: place.lastSeq, count: place.count, end: place.end,
                lineSeq: place.lineSeq,
                coded: Array(bytes[place.start..<(place.start + place.length)]))
        }
    }
}
