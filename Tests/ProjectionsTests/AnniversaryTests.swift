import LedgerCore
import Projections
import Testing

/// One way to count years from a date of birth: a person's age (`AnnexA.age`: Annex A's ages, PbR's adults) and
/// a retention rule's "DOB + N years" (`RetentionRule.Term.after`) agree that a 29 February's birthday falls on
/// 1 March in a common year. (Found by an adversarial run: retention of a child born 29 February 2000 ended on
/// 28 February 2025, the day before the 25th birthday.)
@Suite("Anniversaries: ages and retention count years alike")
struct AnniversaryTests {
    @Test(
        "the day N years on is the day the age reaches N, never a day before",
        arguments: [
            "2000-02-29", "2004-02-29", "2001-03-01", "2003-12-31", "2001-02-28", "1996-01-01",
        ])
    func agreesWithAge(_ text: String) throws {
        let born = try #require(CivilDate(text))
        for years in 1...40 {
            let day = born.anniversary(years)
            #expect(AnnexA.age(born: born, on: day) == years, "\(text) + \(years): \(day)")
            #expect(
                AnnexA.age(born: born, on: day.adding(days: -1)) == years - 1,
                "\(text) + \(years): \(day)")
        }
    }

    @Test(
        "retention: DOB + 25 years is the 25th birthday; months and days as before",
        arguments: [
            ("youngest-child-dob + 25 years", "2000-02-29", "2025-03-01"),
            ("youngest-child-dob + 24 years", "2000-02-29", "2024-02-29"),
            ("youngest-child-dob + 18 years", "2003-06-15", "2021-06-15"),
            ("last-closure + 1 year + 1 month", "2024-01-31", "2025-02-28"),
            ("last-closure + 6 years + 3 days", "2020-02-29", "2026-03-04"),
        ])
    func retentionTerm(expression: String, base: String, expected: String) throws {
        let keep = try RetentionRule.KeepUntil(expression, field: "keepUntil")
        let term = try #require(keep.terms.first)
        #expect(term.after(try #require(CivilDate(base))).description == expected)
    }
}
