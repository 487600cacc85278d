/// England and Wales working days: Monday to Friday, not a bank holiday, not a closure day of the policy.
///
/// Bank holidays are computed from the Banking and Financial Dealings Act 1971 pattern (with substitute days)
/// plus the one-off changes by proclamation since 1995.
public struct WorkingDayCalendar: Sendable {
    /// Extra non-working days a policy adds (`closedDays`).
    public let closedDays: Set<CivilDate>

    /// A calendar with the statutory holidays and, optionally, a policy's own closure days.
    public init(closedDays: Set<CivilDate> = []) { self.closedDays = closedDays }

    /// Easter Sunday (Gregorian; the anonymous algorithm of Meeus/Jones/Butcher).
    public static func easterSunday(_ year: Int) -> CivilDate {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CivilDate(year: year, month: month, day: day) ?? CivilDate(dayNumber: 0)
    }

    /// The England and Wales bank holidays of `year`, sorted.
    public static func bankHolidays(_ year: Int) -> [CivilDate] {
        func date(_ month: Int, _ day: Int) -> CivilDate {
            CivilDate(year: year, month: month, day: day) ?? CivilDate(dayNumber: 0)
        }
        func firstMonday(_ month: Int) -> CivilDate {
            let first = date(month, 1)
            return first.adding(days: (8 - first.weekday) % 7)
        }
        func lastMonday(_ month: Int) -> CivilDate {
            let last = date(month, CivilDate.daysIn(month: month, year: year))
            return last.adding(days: -((last.weekday + 6) % 7))
        }
        var days: [CivilDate] = []
        // New Year's Day, or the Monday after when it falls at a weekend.
        let newYear = date(1, 1)
        days.append(
            newYear.isWeekend ? newYear.adding(days: newYear.weekday == 6 ? 2 : 1) : newYear)
        let easter = easterSunday(year)
        days.append(easter.adding(days: -2))
        days.append(easter.adding(days: 1))
        // Early May: first Monday, moved for VE Day anniversaries.
        switch year {
        case 1995: days.append(date(5, 8))
        case 2020: days.append(date(5, 8))
        default: days.append(firstMonday(5))
        }
        // Spring: last Monday of May, moved for jubilees.
        switch year {
        case 2002: days.append(contentsOf: [date(6, 3), date(6, 4)])
        case 2012: days.append(contentsOf: [date(6, 4), date(6, 5)])
        case 2022: days.append(contentsOf: [date(6, 2), date(6, 3)])
        default: days.append(lastMonday(5))
        }
        days.append(lastMonday(8))
        // Christmas and Boxing Day with substitutes: a holiday at a weekend moves to the next free weekday.
        let christmas = date(12, 25)
        switch christmas.weekday {
        // Boxing Day Saturday → Monday 28
        case 5: days.append(contentsOf: [christmas, date(12, 28)])
        case 6: days.append(contentsOf: [date(12, 27), date(12, 28)])  // Sat/Sun → Mon 27, Tue 28
        // Sunday → Boxing Mon 26, Tue 27
        case 7: days.append(contentsOf: [date(12, 26), date(12, 27)])
        default: days.append(contentsOf: [christmas, date(12, 26)])
        }
        // One-off extra days.
        switch year {
        case 1999: days.append(date(12, 31))
        case 2011: days.append(date(4, 29))
        case 2022: days.append(date(9, 19))
        case 2023: days.append(date(5, 8))
        default: break
        }
        return days.sorted()
    }

    private static let cache: [Int: Set<CivilDate>] = {
        var table: [Int: Set<CivilDate>] = [:]
        for year in 1990...2100 { table[year] = Set(bankHolidays(year)) }
        return table
    }()

    /// Whether `date` is an England and Wales bank holiday.
    public static func isBankHoliday(_ date: CivilDate) -> Bool {
        if let holidays = cache[date.year] { return holidays.contains(date) }
        return bankHolidays(date.year).contains(date)
    }

    /// Whether `date` is a working day.
    public func isWorkingDay(_ date: CivilDate) -> Bool {
        !date.isWeekend && !Self.isBankHoliday(date) && !closedDays.contains(date)
    }

    /// The `count`-th working day after `date` ("within N working days of X" is on or before this day).
    public func adding(workingDays count: Int, to date: CivilDate) -> CivilDate {
        var current = date
        var remaining = count
        while remaining > 0 {
            current = current.adding(days: 1)
            if isWorkingDay(current) { remaining -= 1 }
        }
        return current
    }

    /// Working days after `start` up to and including `end` (0 when `end` is not after `start`).
    public func workingDays(from start: CivilDate, to end: CivilDate) -> Int {
        guard end > start else { return 0 }
        var count = 0
        var current = start.adding(days: 1)
        while current <= end {
            if isWorkingDay(current) { count += 1 }
            current = current.adding(days: 1)
        }
        return count
    }
}
