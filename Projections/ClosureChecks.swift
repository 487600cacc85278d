import EventLog
import LedgerCore

/// Standards checked when an episode closes (contact standard, review before closure, minimum requirements),
/// and how long an episode at a level may stay open.
enum ClosureChecks {
    /// The terms of the checks made at closure under one policy (`ObligationTerms`), made once.
    struct Terms: Sendable {
        let contactStandard: ObligationTerms?
        let review: ObligationTerms?
        let minimumRequirements: ObligationTerms

        init(_ policy: Policy) {
            contactStandard = policy.contactStandard.map {
                ObligationTerms(rule: $0.id, label: $0.label, source: $0.source, kind: .check)
            }
            review = policy.closure.reviewWithinDays.map {
                ObligationTerms(
                    rule: "closure-review", label: "Review within \($0) days before closing",
                    source: policy.closure.source, kind: .check)
            }
            minimumRequirements = ObligationTerms(
                rule: "minimum-requirements",
                label: "Minimum requirements met or flagged before closing",
                source: policy.closure.source,
                kind: .check)
        }
    }

    /// The checks made when `event` closes `episode` for `reason` (the case.closed's, "" when it was redacted).
    static func evaluate(
        episode: Episode, event: StoredEvent, reason: String, adopted: AdoptedPolicy
    ) -> [Obligation] {
        let policy = adopted.policy
        var results: [Obligation] = []
        func check(_ terms: ObligationTerms, passed: Bool, detail: String?) {
            results.append(
                Obligation(
                    family: "", episode: episode.number, terms: terms, fromSeq: event.seq,
                    fromDate: event.date,
                    dueOn: event.date, checkPassed: passed, detail: passed ? nil : detail))
        }
        if let standard = policy.contactStandard, let terms = adopted.closureTerms.contactStandard,
            !episode.engaged,
            standard.closeReasons.contains(reason)
        {
            let attempts = episode.contactAttempts
            let phoneDays = Set(attempts.filter { $0.method == "phone" }.map(\.date)).count
            let texts = attempts.filter { $0.method == "text" }.count
            let coldCalls = attempts.filter { $0.method == "cold-call" }.count
            let letters = attempts.filter { $0.method == "letter" }.count
            let neededColdCalls =
                episode.level == "intensive" ? standard.coldCallsIntensive : standard.coldCalls
            let needsLetter = standard.letterLevels.contains(episode.level ?? "")
            let span =
                attempts.isEmpty
                ? 0
                : (attempts.map(\.date).min() ?? event.date).days(
                    until: attempts.map(\.date).max() ?? event.date)
            var missing: [String] = []
            if phoneDays < standard.phoneDays {
                missing.append("phone calls on \(phoneDays) of \(standard.phoneDays) days")
            }
            if texts < standard.texts { missing.append("\(texts) of \(standard.texts) texts") }
            if coldCalls < neededColdCalls {
                missing.append("\(coldCalls) of \(neededColdCalls) cold calls")
            }
            if needsLetter && letters == 0 { missing.append("no letter") }
            if span < standard.spanDays {
                missing.append("attempts spread over \(span) of \(standard.spanDays) days")
            }
            check(terms, passed: missing.isEmpty, detail: missing.joined(separator: "; "))
        }
        let closure = policy.closure
        if let days = closure.reviewWithinDays, let terms = adopted.closureTerms.review,
            closure.reviewLevels.contains(episode.level ?? ""),
            episode.engaged
        {
            let reviewed =
                episode.lastReviewOn.map { $0 <= event.date && $0.days(until: event.date) <= days }
                ?? false
            check(
                terms, passed: reviewed,
                detail: episode.lastReviewOn.map { "last review \($0)" } ?? "no review")
        }
        if closure.minimumRequirements, episode.engaged {
            let missing = MinimumRequirement.all.filter { !episode.requirementsMet.contains($0) }
            check(
                adopted.closureTerms.minimumRequirements, passed: missing.isEmpty,
                detail: "not recorded: " + missing.joined(separator: ", "))
        }
        return results
    }

    /// The duration obligation of an episode at a level with a maximum, judged on `asOf` (or at closure).
    static func duration(episode: Episode, adopted: AdoptedPolicy, family: String, asOf: CivilDate)
        -> Obligation?
    {
        let policy = adopted.policy
        guard let level = episode.level,
            let index = policy.durations.firstIndex(where: { $0.level == level })
        else { return nil }
        let rule = policy.durations[index]
        let due = rule.max.after(episode.openedOn, in: policy.calendar)
        var obligation = Obligation(
            family: family, episode: episode.number, terms: adopted.durationTerms[index],
            fromSeq: episode.openedSeq,
            fromDate: episode.openedOn, dueOn: due)
        obligation.warnOn = rule.warnAt.map { $0.after(episode.openedOn, in: policy.calendar) }
        if let closed = episode.closedOn {
            obligation.metOn = closed
        }
        // Going over is justified by management oversight recorded after the warning point.
        let over = episode.closedOn.map { $0 > due } ?? (asOf > due)
        let warnFrom =
            rule.warnAt.map { $0.after(episode.openedOn, in: policy.calendar) } ?? episode.openedOn
        if over,
            let justified = episode.justifications.first(where: {
                rule.justifiedBy.contains($0.type) && $0.date >= warnFrom
                    && rule.justifiedByRoles.contains($0.role)
            })
        {
            obligation.metOn = justified.date
            obligation.detail =
                "over \(rule.max), justified by \(justified.type) on \(justified.date)"
        }
        return obligation
    }
}
