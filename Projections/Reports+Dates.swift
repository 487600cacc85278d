import EventLog
import LedgerCore

extension Reports {
    /// The day after which an offence counts against `crime-asb` (PbR progress) on the as-of date: the policy's
    /// offence-free months back from it (6 when it sets none).
    func offenceFreeSince(policy: Policy?) -> CivilDate {
        offenceFreeSince(policy: policy, asOf: asOf)
    }

    func offenceFreeSince(policy: Policy?, asOf day: CivilDate) -> CivilDate {
        day.adding(months: -(policy?.pbr ?? .national).offenceFreeMonths)
    }

    /// The first day after the as-of date on which what the projections show of `family` (its families, PbR and
    /// due rows, its dashboard page) may differ from what they show on the as-of date with nothing else changed;
    /// nil when no later day changes it (a closed family with nothing left to fall due). `obligations` are its
    /// obligations (`obligations(of:)`).
    ///
    /// Worked out from the days on which the date turns something over, which depend on the family's state, not
    /// on the as-of date: an obligation reaches its warning point (`warnOn`) and falls overdue (the day after
    /// `dueOn`); while one is overdue, or a referral awaits triage, its count of days moves every day; an offence
    /// enters and leaves the `crime-asb` window. So every as-of date up to the day before the answer gives the
    /// same answer, and the same rows and page: a rebuild writes the family's page again only once that day comes
    /// (or its events change), and the page says it is current to the day before (`Dashboard.familyPage`). The
    /// differential test holds the rule to the rows and pages made on later dates.
    public func nextChange(_ family: FamilyState, obligations: [Obligation]) -> CivilDate? {
        nextChange(family, obligations: obligations, countingDays: true)
    }

    /// `nextChange` for the family's dashboard page alone, which counts no days (late, or awaiting triage: the
    /// front page and the rows count them; the page names the due date, or the day of the referral): the days on
    /// which a status turns over (a warning point, a due date passed, an offence entering or leaving the
    /// `crime-asb` window). An open family with work overdue, or a referral awaiting triage, keeps its page until
    /// one of those days or its next event, where its rows change every day.
    public func nextPageChange(_ family: FamilyState, obligations: [Obligation]) -> CivilDate? {
        nextChange(family, obligations: obligations, countingDays: false)
    }

    /// The rule of both: `countingDays`, whether what is shown counts days (the rows) or not (the page).
    private func nextChange(
        _ family: FamilyState, obligations: [Obligation], countingDays: Bool
    ) -> CivilDate? {
        var next: CivilDate?
        func consider(_ day: CivilDate) {
            if day > asOf, next.map({ day < $0 }) ?? true { next = day }
        }
        let tomorrow = asOf.adding(days: 1)
        // The days a referral has waited for triage (the families row).
        if countingDays, let last = family.episodes.indices.last,
            family.episodes[last].isOpen,
            Self.status(of: family.episodes[last], roster: fold.workers) == "referred"
        {
            consider(tomorrow)
        }
        for obligation in obligations {
            // Met, lapsed or a check made: its standing is settled, whatever the date.
            guard obligation.checkPassed == nil, obligation.metOn == nil,
                obligation.lapsedOn == nil
            else { continue }
            // An item awaiting triage counts its days; an overdue one its days late (not on its page).
            if obligation.kind == .awaiting || asOf > obligation.dueOn {
                if countingDays { consider(tomorrow) }
                continue
            }
            if let warnOn = obligation.warnOn { consider(warnOn) }
            consider(obligation.dueOn.adding(days: 1))
        }
        // An offence counts against crime-asb from its day until it is the offence-free months old.
        let policy = fold.policy(on: asOf)
        for offence in family.offences {
            consider(offence.date)
            consider(firstDayPast(offence.date, policy: policy))
        }
        return next
    }

    /// The first as-of date on which an offence of `day` no longer counts against `crime-asb`.
    private func firstDayPast(_ day: CivilDate, policy: Policy?) -> CivilDate {
        // `adding(months:)` keeps the day of the month where it can: step to the exact day from near it.
        let months = (policy?.pbr ?? .national).offenceFreeMonths
        var first = day.adding(months: months)
        while offenceFreeSince(policy: policy, asOf: first) < day { first = first.adding(days: 1) }
        while offenceFreeSince(policy: policy, asOf: first.adding(days: -1)) >= day {
            first = first.adding(days: -1)
        }
        return first
    }
}
