/// A calendar date with no time zone (`YYYY-MM-DD`), as councils write deadlines.
///
/// Eight bytes: the projections hold millions of dates (four in every obligation), so the parts are stored in the
/// smallest integers that hold years 1–9999 (and the day numbers of those years), and read as `Int`.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    private let storedYear: Int16
    private let storedMonth: UInt8
    private let storedDay: UInt8
    private let storedDayNumber: Int32

    /// The year, e.g. 2026.
    public var year: Int { Int(storedYear) }
    /// The month, 1–12.
    public var month: Int { Int(storedMonth) }
    /// The day of the month, 1–31.
    public var day: Int { Int(storedDay) }
    /// Days since 1970-01-01 (negative before): worked out once, so that comparing dates is comparing numbers.
    public var dayNumber: Int { Int(storedDayNumber) }

    /// A date, if the parts name a real one.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CivilDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.init(unchecked: year, month, day)
    }

    private init(unchecked year: Int, _ month: Int, _ day: Int) {
        storedYear = Int16(clamping: year)
        storedMonth = UInt8(clamping: month)
        storedDay = UInt8(clamping: day)
        storedDayNumber = Int32(clamping: Self.days(year: year, month: month, day: day))
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(_ text: some StringProtocol) {
        var text = String(text)
        guard let date = text.withUTF8({ CivilDate(utf8: $0) }) else { return nil }
        self = date
    }

    /// What is wrong with `text` as a date, in words (for a refusal): its shape, the month, or the day for that
    /// month ("30 February 2026: February 2026 has 28 days"); nil when it is a date.
    public static func problem(with text: String) -> String? {
        if CivilDate(text) != nil { return nil }
        let bytes = Array(text.utf8)
        let digits = { (range: Range<Int>) in
            bytes.withUnsafeBufferPointer { Self.digits($0, range) }
        }
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10)
        else { return "\"\(text)\" is not YYYY-MM-DD (e.g. 2026-11-23)" }
        guard (1...12).contains(month) else { return "\(text): there is no month \(month)" }
        let name = Self.monthNames[month - 1]
        return
            "\(text): \(name) \(year) has \(Self.daysIn(month: month, year: year)) days, not \(day)"
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October",
        "November", "December",
    ]

    /// Parses exactly `YYYY-MM-DD` from UTF-8 bytes (the read path parses dates in place, without a `String`).
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = Self.digits(bytes, 0..<4), let month = Self.digits(bytes, 5..<7),
            let day = Self.digits(bytes, 8..<10)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    static func digits(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var value = 0
        for index in range {
            let byte = bytes[index]
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// Whether `year` is a Gregorian leap year.
    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// Days in a month.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a date (Howard Hinnant's days_from_civil).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `dayNumber` days after 1970-01-01 (kept within ±2^31 days, about 5.8 million years: a date outside
    /// years 1–9999 is only ever a sentinel).
    public init(dayNumber: Int) {
        let dayNumber = Int(Int32(clamping: dayNumber))
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        storedYear = Int16(clamping: yoe + era * 400 + (month <= 2 ? 1 : 0))
        storedMonth = UInt8(clamping: month)
        storedDay = UInt8(clamping: day)
        storedDayNumber = Int32(dayNumber)
    }

    /// ISO weekday: 1 Monday … 7 Sunday.
    public var weekday: Int {
        let value = (dayNumber + 3) % 7  // 1970-01-01 was a Thursday (4)
        return (value < 0 ? value + 7 : value) + 1
    }

    /// Whether this is a Saturday or Sunday.
    public var isWeekend: Bool { weekday >= 6 }

    /// The date `count` calendar days later (earlier if negative).
    public func adding(days count: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + count) }

    /// The same day `count` months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb).
    public func adding(months count: Int) -> CivilDate {
        let total = year * 12 + (month - 1) + count
        let newYear = total / 12
        let newMonth = total % 12 + 1
        return CivilDate(
            unchecked: newYear, newMonth, min(day, Self.daysIn(month: newMonth, year: newYear)))
    }

    /// The day `years` years after: the same month and day, a 29 February falling on 1 March in a common year, as
    /// a birthday does (`AnnexA.age` counts a person's years the same way): "until the child's 25th birthday" for a
    /// child born on 29 February 2000 is 1 March 2025, not the 28 February before it.
    public func anniversary(_ years: Int) -> CivilDate {
        let year = self.year + years
        if month == 2, day == 29, Self.daysIn(month: 2, year: year) == 28 {
            return CivilDate(unchecked: year, 3, 1)
        }
        return CivilDate(unchecked: year, month, day)
    }

    /// Calendar days from `self` to `other`.
    public func days(until other: CivilDate) -> Int { other.dayNumber - dayNumber }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.dayNumber < rhs.dayNumber }
}
