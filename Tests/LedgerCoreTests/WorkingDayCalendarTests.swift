import LedgerCore
import Testing

@Suite("England and Wales working-day calendar")
struct WorkingDayCalendarTests {
    /// The bank holidays published by GOV.UK for England and Wales.
    static let published: [Int: [String]] = [
        2012: [
            "2012-01-02", "2012-04-06", "2012-04-09", "2012-05-07", "2012-06-04", "2012-06-05",
            "2012-08-27", "2012-12-25", "2012-12-26",
        ],
        2013: [
            "2013-01-01", "2013-03-29", "2013-04-01", "2013-05-06", "2013-05-27", "2013-08-26",
            "2013-12-25", "2013-12-26",
        ],
        2014: [
            "2014-01-01", "2014-04-18", "2014-04-21", "2014-05-05", "2014-05-26", "2014-08-25",
            "2014-12-25", "2014-12-26",
        ],
        2015: [
            "2015-01-01", "2015-04-03", "2015-04-06", "2015-05-04", "2015-05-25", "2015-08-31",
            "2015-12-25", "2015-12-28",
        ],
        2016: [
            "2016-01-01", "2016-03-25", "2016-03-28", "2016-05-02", "2016-05-30", "2016-08-29",
            "2016-12-26", "2016-12-27",
        ],
        2017: [
            "2017-01-02", "2017-04-14", "2017-04-17", "2017-05-01", "2017-05-29", "2017-08-28",
            "2017-12-25", "2017-12-26",
        ],
        2018: [
            "2018-01-01", "2018-03-30", "2018-04-02", "2018-05-07", "2018-05-28", "2018-08-27",
            "2018-12-25", "2018-12-26",
        ],
        2019: [
            "2019-01-01", "2019-04-19", "2019-04-22", "2019-05-06", "2019-05-27", "2019-08-26",
            "2019-12-25", "2019-12-26",
        ],
        2020: [
            "2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25", "2020-08-31",
            "2020-12-25", "2020-12-28",
        ],
        2021: [
            "2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03", "2021-05-31", "2021-08-30",
            "2021-12-27", "2021-12-28",
        ],
        2022: [
            "2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03",
            "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27",
        ],
        2023: [
            "2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29",
            "2023-08-28", "2023-12-25", "2023-12-26",
        ],
        2024: [
            "2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26",
            "2024-12-25", "2024-12-26",
        ],
        2025: [
            "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25",
            "2025-12-25", "2025-12-26",
        ],
        2026: [
            "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31",
            "2026-12-25", "2026-12-28",
        ],
        2027: [
            "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30",
            "2027-12-27", "2027-12-28",
        ],
    ]

    @Test("computed bank holidays equal the published ones", arguments: Array(2012...2027))
    func publishedYear(year: Int) {
        let computed = WorkingDayCalendar.bankHolidays(year).map(\.description)
        #expect(computed == Self.published[year])
    }

    @Test(
        "one-off changes since 1995",
        arguments: [
            ("1995-05-08", true), ("1995-05-01", false), ("1999-12-31", true), ("2002-06-03", true),
            ("2002-06-04", true), ("2002-05-27", false), ("2011-04-29", true),
            ("2012-05-28", false),
            ("2020-05-04", false), ("2022-05-30", false), ("2023-05-08", true),
        ])
    func oneOff(date: String, holiday: Bool) throws {
        let day = try #require(CivilDate(date))
        #expect(WorkingDayCalendar.isBankHoliday(day) == holiday)
    }

    @Test(
        "N working days after a date skip weekends and bank holidays",
        arguments: [
            // Easter 2026: Good Friday 3 April, Easter Monday 6 April.
            ("2026-04-01", 5, "2026-04-10"),
            ("2026-04-02", 1, "2026-04-07"),
            // Christmas 2026: Friday 25th, Boxing Day substitute Monday 28th.
            ("2026-12-22", 5, "2026-12-31"),
            ("2026-12-24", 1, "2026-12-29"),
            // Christmas 2021 at a weekend: substitutes on 27 and 28 December.
            ("2021-12-23", 2, "2021-12-29"),  // Fri 24th, then Wed 29th
            // 2022 Platinum Jubilee (2–3 June) and the State Funeral (19 September).
            ("2022-06-01", 1, "2022-06-06"),
            ("2022-09-16", 1, "2022-09-20"),
            // Coronation 2023 (8 May) right after the early May bank holiday (1 May).
            ("2023-05-05", 1, "2023-05-09"),
            // Ten working days from a Friday.
            ("2026-11-20", 10, "2026-12-04"),
        ])
    func addingWorkingDays(start: String, count: Int, expected: String) throws {
        let date = try #require(CivilDate(start))
        #expect(WorkingDayCalendar().adding(workingDays: count, to: date).description == expected)
    }

    @Test("a policy's closure days are not working days")
    func closedDays() throws {
        let closed = try #require(CivilDate("2026-12-29"))
        let calendar = WorkingDayCalendar(closedDays: [closed])
        #expect(
            calendar.adding(workingDays: 1, to: try #require(CivilDate("2026-12-24"))).description
                == "2026-12-30")
    }

    @Test(
        "Easter Sunday",
        arguments: [
            (2024, "2024-03-31"), (2025, "2025-04-20"), (2026, "2026-04-05"), (2038, "2038-04-25"),
        ])
    func easter(year: Int, expected: String) {
        #expect(WorkingDayCalendar.easterSunday(year).description == expected)
    }
}

@Suite("Dates and times")
struct DateTests {
    @Test(
        "the Europe/London calendar date of an instant",
        arguments: [
            ("2026-06-30T23:30:00Z", "2026-07-01"),  // BST
            ("2026-01-31T23:30:00Z", "2026-01-31"),  // GMT
            ("2026-03-29T00:30:00Z", "2026-03-29"),  // before the clocks go forward at 01:00 UTC
            ("2026-10-24T23:30:00Z", "2026-10-25"),  // still BST
            ("2026-10-25T23:30:00Z", "2026-10-25"),  // GMT again
            ("2026-07-01T00:30:00+02:00", "2026-06-30"),
        ])
    func londonDate(instant: String, expected: String) throws {
        let timestamp = try #require(Timestamp(rfc3339: instant))
        #expect(timestamp.londonDate.description == expected)
    }

    @Test(
        "RFC 3339 parsing refuses what is not a date-time",
        arguments: [
            "2026-02-30T00:00:00Z", "2026-01-01 00:00:00Z", "2026-01-01T25:00:00Z",
            "2026-01-01T00:00:00", "2026-01-01T00:00:00.1234567891234Z",
        ])
    func invalidTimestamps(text: String) {
        if text.hasSuffix("1234Z") {
            // Over-long fractions are accepted (truncated to nanoseconds), never crashed on.
            #expect(Timestamp(rfc3339: text) != nil)
        } else {
            #expect(Timestamp(rfc3339: text) == nil)
        }
    }

    @Test(
        "months clamp to the last day",
        arguments: [
            ("2026-01-31", 1, "2026-02-28"), ("2024-01-31", 1, "2024-02-29"),
            ("2026-11-30", 3, "2027-02-28"),
        ])
    func addingMonths(start: String, months: Int, expected: String) throws {
        #expect(try #require(CivilDate(start)).adding(months: months).description == expected)
    }

    @Test("day numbers round-trip across leap years")
    func roundTrip() {
        for day in stride(from: -800_000, through: 800_000, by: 97) {
            let date = CivilDate(dayNumber: day)
            #expect(date.dayNumber == day)
            #expect(
                CivilDate(year: date.year, month: date.month, day: date.day).map { $0 == date }
                    ?? (date.year < 1))
        }
    }

    @Test(
        "dates at the edges of the years the ledger takes keep their parts (stored in eight bytes)",
        arguments: [
            ("0001-01-01", -719_162), ("1969-12-31", -1), ("1970-01-01", 0), ("2026-11-23", 20_780),
            ("9999-12-31", 2_932_896),
        ])
    func edges(text: String, dayNumber: Int) throws {
        let date = try #require(CivilDate(text))
        #expect(date.dayNumber == dayNumber)
        #expect(date.description == text)
        #expect(CivilDate(dayNumber: dayNumber) == date)
        #expect(MemoryLayout<CivilDate>.size == 8)
    }
}

@Suite("Policy profiles")
struct PolicyProfileTests {
    @Test("every built-in profile parses", arguments: PolicyProfiles.names)
    func parses(name: String) throws {
        let policy = try #require(PolicyProfiles.profile(name))
        #expect(policy.name == name)
    }

    @Test(
        "closure sign-off per profile",
        arguments: [
            ("warwickshire-fsw", false), ("strengthening-families", true),
            ("leicestershire-early-help", true),
            ("birmingham-family-support", true),
        ])
    func closure(name: String, needsManager: Bool) throws {
        #expect(try #require(PolicyProfiles.profile(name)).closure.needsManager == needsManager)
    }

    @Test(
        "timescales read as people write them",
        arguments: [
            ("5 working days", Timescale.workingDays(5)), ("10 days", .days(10)),
            ("8 weeks", .weeks(8)), ("1 month", .months(1)),
        ])
    func timescales(text: String, expected: Timescale) {
        #expect(Timescale(text) == expected)
    }
}

/// A date refusal says what is wrong with the date (issue 20: "2026-02-30" was told "must be YYYY-MM-DD").
@Suite("CivilDate.problem says what is wrong")
struct CivilDateProblemTests {
    @Test(
        "shape, month and day for the month",
        arguments: [
            ("2026-02-30", "2026-02-30: February 2026 has 28 days, not 30"),
            ("2024-02-30", "2024-02-30: February 2024 has 29 days, not 30"),
            ("2026-04-31", "2026-04-31: April 2026 has 30 days, not 31"),
            ("2026-13-01", "2026-13-01: there is no month 13"),
            ("23/11/2026", "\"23/11/2026\" is not YYYY-MM-DD (e.g. 2026-11-23)"),
        ])
    func problem(_ text: String, _ expected: String) {
        #expect(CivilDate.problem(with: text) == expected)
    }

    @Test("a date has no problem")
    func fine() { #expect(CivilDate.problem(with: "2024-02-29") == nil) }
}
