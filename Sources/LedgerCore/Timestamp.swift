/// An instant, to the second, with the helpers the contract needs: parsing RFC 3339, formatting UTC, and the
/// Europe/London calendar date that working-day arithmetic uses.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let seconds: Int64
    /// Nanoseconds within the second, kept so that ordering is exact.
    public let nanoseconds: Int32

    /// An instant from seconds since the epoch.
    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Parses an RFC 3339 date-time (`2026-03-04T09:30:00Z`, `…+01:00`, fractional seconds allowed).
    public init?(rfc3339 text: some StringProtocol) {
        var text = String(text)
        guard let instant = text.withUTF8({ Timestamp(rfc3339UTF8: $0) }) else { return nil }
        self = instant
    }

    /// Parses an RFC 3339 date-time from UTF-8 bytes.
    public init?(rfc3339UTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count >= 20,
            let date = CivilDate(utf8: UnsafeBufferPointer(rebasing: bytes[0..<10])),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let hour = CivilDate.digits(bytes, 11..<13),
            let minute = CivilDate.digits(bytes, 14..<16),
            let second = CivilDate.digits(bytes, 17..<19), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var nanos = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int(bytes[index] - 0x30) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
            guard index + 1 == bytes.count else { return nil }
        } else {
            guard index + 6 == bytes.count,
                bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
                bytes[index + 3] == UInt8(ascii: ":"),
                let offsetHours = CivilDate.digits(bytes, (index + 1)..<(index + 3)),
                let offsetMinutes = CivilDate.digits(bytes, (index + 4)..<(index + 6)),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offset =
                (offsetHours * 60 + offsetMinutes) * 60
                * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
        }
        let total =
            Int64(date.dayNumber) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59))
            - Int64(offset)
        self.init(seconds: total, nanoseconds: Int32(nanos))
    }

    /// The UTC calendar date.
    public var utcDate: CivilDate {
        CivilDate(dayNumber: Int((seconds - floorModulo(seconds, 86_400)) / 86_400))
    }

    /// The calendar date in Europe/London (GMT, or BST from 01:00 UTC on the last Sunday of March to 01:00 UTC
    /// on the last Sunday of October; the EU rule the UK has followed since 1996).
    public var londonDate: CivilDate {
        let utc = utcDate
        let start = Self.lastSunday(month: 3, year: utc.year)
        let end = Self.lastSunday(month: 10, year: utc.year)
        let startInstant = Int64(start.dayNumber) * 86_400 + 3600
        let endInstant = Int64(end.dayNumber) * 86_400 + 3600
        let inSummerTime = seconds >= startInstant && seconds < endInstant
        return Timestamp(seconds: seconds + (inSummerTime ? 3600 : 0)).utcDate
    }

    private static func lastSunday(month: Int, year: Int) -> CivilDate {
        guard let last = CivilDate(year: year, month: month, day: 31) else {
            return CivilDate(dayNumber: 0)
        }
        return last.adding(days: -(last.weekday % 7))
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, or with milliseconds when they are not zero.
    public var rfc3339: String {
        let date = utcDate
        let secondOfDay = Int(floorModulo(seconds, 86_400))
        func pad(_ value: Int, _ width: Int = 2) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text =
            "\(date)T\(pad(secondOfDay / 3600)):\(pad(secondOfDay / 60 % 60)):\(pad(secondOfDay % 60))"
        if nanoseconds >= 1_000_000 { text += "." + pad(Int(nanoseconds) / 1_000_000, 3) }
        return text + "Z"
    }

    /// Midnight UTC at the start of `date`.
    public init(startOf date: CivilDate) { self.init(seconds: Int64(date.dayNumber) * 86_400) }

    public var description: String { rfc3339 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}

private func floorModulo(_ value: Int64, _ divisor: Int64) -> Int64 {
    let remainder = value % divisor
    return remainder < 0 ? remainder + divisor : remainder
}

/// `occurredAt`: a calendar date, or an instant with its London calendar date.
public struct OccurredAt: Sendable, Equatable {
    /// The Europe/London calendar date used for deadlines.
    public let date: CivilDate
    /// The instant, when the writer gave a time.
    public let instant: Timestamp?

    /// Parses `YYYY-MM-DD` or an RFC 3339 date-time.
    public init?(_ text: String) {
        var text = text
        guard let parsed = text.withUTF8({ OccurredAt(utf8: $0) }) else { return nil }
        self = parsed
    }

    /// Parses `YYYY-MM-DD` or an RFC 3339 date-time from UTF-8 bytes.
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        if let date = CivilDate(utf8: bytes) {
            self.date = date
            instant = nil
        } else if let instant = Timestamp(rfc3339UTF8: bytes) {
            self.instant = instant
            date = instant.londonDate
        } else {
            return nil
        }
    }
}
