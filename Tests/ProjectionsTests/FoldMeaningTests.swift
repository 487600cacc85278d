import EventLog
import LedgerCore
@testable import Projections
import Testing
import LedgerDemo

/// The fingerprint of the fold's meaning, which keys the checkpoints: it must follow any change of what the fold
/// answers, and nothing else.
@Suite("The fold's meaning, fingerprinted")
struct FoldMeaningTests {
    @Test("the same in every run: made from a fixed log, and it is the one checkpoints carry")
    func stable() {
        let first = LedgerFold.fingerprint()
        #expect(first == LedgerFold.fingerprint())
        #expect(first == LedgerFold.meaning)
        #expect(first.count == 64)
    }

    @Test("the fixed log exercises what a change would touch: re-referrals, closures, corrections")
    func coverage() {
        let today = CivilDate(year: 2026, month: 11, day: 23) ?? CivilDate(dayNumber: 0)
        let events = LedgerFold.meaningEvents(today: today)
        var fold = LedgerFold()
        for event in events { fold.apply(event) }
        // Families entered out of date order, folded again in date order: the lead allocated on the 10th entered
        // after the 20th's, a review chain entered June then April.
        #expect(fold.outOfOrder.contains("EDGE-5"), "\(fold.outOfOrder.sorted())")
        fold.refoldOutOfOrder(from: events)
        #expect(fold.outOfOrder.isEmpty)
        #expect(fold.families["EDGE-5"]?.current?.lead == "w-104")
        let episodes = fold.families.values.flatMap(\.episodes)
        #expect(
            episodes.contains { $0.reReferral },
            "a re-referral window changed must change the fingerprint")
        #expect(
            episodes.contains { !$0.reReferral && $0.number > 1 },
            "a later episode outside the window")
        #expect(episodes.contains { !$0.isOpen })
        #expect(events.contains { $0.kind == .stepupDecided })
        #expect(
            events.contains { !$0.amendments.isEmpty }, "corrections applied as a read applies them"
        )
        // The cases the scenario never makes, added to the fixed log (every edge event stored, none refused).
        let edges = events.map(\.id).filter { $0.hasPrefix("edge-") }
        #expect(edges.count == 27, "\(edges)")
        #expect(
            episodes.contains { !$0.workers.isEmpty && $0.lead == nil },
            "a family with a second worker and no lead")
        #expect(
            episodes.contains { episode in
                episode.obligations.contains { obligation in
                    obligation.kind == .recurring
                        && episode.levels.contains {
                            $0.seq > obligation.fromSeq && $0.date < obligation.fromDate
                        }
                }
            },
            "a level change recorded after a review but dated before it")
        #expect(
            fold.families["EDGE-3"]?.current.map { $0.isOpen && $0.lead == "w-901" } == true
                && fold.workers["w-901"]?.left == true,
            "a lead who has left an open episode")
    }

    /// A build whose fold gives other answers: the re-referral window changed (as if `LedgerFold.swift` had
    /// changed without `snapshotVersion` being bumped), or an event type forgotten.
    @Test("a fold that answers differently has another fingerprint")
    func followsMeaning() {
        let today = LedgerFold.fingerprint()
        /// The fold with every later episode's re-referral flag set to `flag` (a window of none, or of forever).
        func window(_ flag: Bool) -> String {
            LedgerFold.fingerprint { fold, event in
                fold.apply(event)
                guard event.kind == .referralReceived, let ref = event.familyRef,
                    var family = fold.families[ref],
                    let last = family.episodes.indices.last, last > 0
                else { return }
                family.episodes[last].reReferral = flag
                fold.families[ref] = family
            }
        }
        #expect(window(false) != today)
        #expect(window(true) != today)
        #expect(window(false) != window(true))
        let forgetful = LedgerFold.fingerprint { fold, event in
            if event.kind != .stepupDecided { fold.apply(event) }
        }
        #expect(forgetful != today)
    }

    /// What is wrong with shipping a fold that steps by `apply` under this snapshot version, if anything. The
    /// advice names the meaning the bumped version will have (the version is in the snapshot's bytes, so in the
    /// meaning: recording this version's meaning under the next would fail once more).
    static func versionProblem(
        apply: (inout LedgerFold, StoredEvent) -> Void = { $0.apply($1) }
    ) -> String? {
        let version = LedgerFold.snapshotVersion
        let meaning = LedgerFold.fingerprint(apply: apply)
        guard let recorded = LedgerFold.meanings[version] else {
            return
                "snapshot version \(version) has no recorded meaning: add \(version): \"\(meaning)\""
        }
        guard recorded == meaning else {
            let next = LedgerFold.fingerprint(version: version + 1, apply: apply)
            return
                "the fold's meaning changed (\(meaning.prefix(12))…, version \(version) was \(recorded.prefix(12))…): bump snapshotVersion to \(version + 1) and record \(version + 1): \"\(next)\" in LedgerFold.meanings"
        }
        return nil
    }

    @Test("golden: the fold's meaning is the one recorded for its snapshot version")
    func golden() {
        #expect(Self.versionProblem() == nil)
    }

    /// The golden test's advice is the meaning a build bumped to the next version computes: its snapshots carry
    /// that version, and they read back under it.
    @Test("the advice after a change of meaning names the fingerprint the bumped version will have")
    func adviceHolds() throws {
        let version = LedgerFold.snapshotVersion
        #expect(LedgerFold.fingerprint(version: version) == LedgerFold.meaning)
        #expect(LedgerFold.fingerprint(version: version + 1) != LedgerFold.meaning)
        let fold = LedgerFold()
        let bumped = fold.snapshot(version: version + 1)
        #expect((try? LedgerFold(snapshot: bumped)) == nil, "this build refuses another version's")
        #expect(throws: Never.self) { try LedgerFold(snapshot: bumped, version: version + 1) }
    }

    /// Issue 18's second experiment, kept: the fold changed (a type forgotten, the re-referral window moved), the
    /// version not bumped.
    @Test(
        "a fold that answers differently, under the same snapshot version, fails the golden check")
    func goldenCatchesChange() {
        let forgetful = Self.versionProblem { fold, event in
            if event.kind != .stepupDecided { fold.apply(event) }
        }
        #expect(forgetful != nil)
        let window = Self.versionProblem { fold, event in
            fold.apply(event)
            guard event.kind == .referralReceived, let ref = event.familyRef,
                let last = fold.families[ref]?.episodes.indices.last, last > 0
            else { return }
            fold.families[ref]?.episodes[last].reReferral = false
        }
        #expect(window != nil)
    }
}
