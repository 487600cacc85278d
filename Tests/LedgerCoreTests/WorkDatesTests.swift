import EventLog
import Testing

@testable import LedgerCore

/// The open episode's latest work, kept in three slots: the three latest by date then seq, the floor the latest
/// date of those let go of, a void taking one off.
@Suite("The open episode's latest work")
struct WorkDatesTests {
    static func work(_ day: Int, _ seq: Int) -> WriteState.WorkDate {
        WriteState.WorkDate(date: CivilDate(dayNumber: day), seq: seq)
    }

    @Test(
        "the three latest kept, oldest first, the rest in the floor, whatever order they came in",
        arguments: [
            [1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [3, 1, 5, 2, 4], [2, 5, 1, 4, 3],
        ])
    func latestKept(_ days: [Int]) {
        var dates = WriteState.WorkDates(floor: CivilDate(dayNumber: 0))
        for (seq, day) in days.enumerated() { dates.note(Self.work(day, seq + 10)) }
        #expect(dates.kept.map(\.date.dayNumber) == [3, 4, 5])
        #expect(dates.floor?.dayNumber == 2)
        #expect(dates.through?.dayNumber == 5)
    }

    @Test("on the same day the later seq is the later; a void takes one off; the floor stays")
    func sameDayAndVoids() {
        var dates = WriteState.WorkDates(floor: CivilDate(dayNumber: 1))
        for seq in [30, 10, 20, 40] { dates.note(Self.work(7, seq)) }
        #expect(dates.kept.map(\.seq) == [20, 30, 40])
        #expect(dates.floor?.dayNumber == 7)
        dates.remove(seq: 40)
        #expect(dates.kept.map(\.seq) == [20, 30])
        dates.remove(seq: 99)
        #expect(dates.kept.map(\.seq) == [20, 30])
        var early = WriteState.WorkDates(floor: CivilDate(dayNumber: 2))
        early.note(Self.work(9, 5))
        early.remove(seq: 5)
        #expect(early.kept.isEmpty && early.through?.dayNumber == 2)
    }
}
