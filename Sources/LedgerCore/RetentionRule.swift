import EventLog

/// A policy's `retention` rule (POLICIES.md, DATA-PROTECTION.md): until when a family's record is kept.
///
/// `keepUntil` is a small expression over named dates of the family, written as a council's schedule reads:
/// `"youngest-child-dob + 25 years"`, or `"later of: youngest-child-dob + 25 years, last-closure + 6 years"`
/// (`earlier of:` also). A term is a named date and an optional `+ N years|months|weeks|days`. The names:
/// - `youngest-child-dob`, `eldest-child-dob`: of every child the family's record names, one who left included (every child needs a dob);
/// - `last-closure`: the date the family's last episode closed;
/// - `first-referral`: the date of the family's first referral;
/// - `last-event`: the date of the family's latest event.
public struct RetentionRule: Sendable, Equatable {
    public let id: String
    public let label: String
    public let source: String
    public let keepUntil: KeepUntil

    public init(id: String, label: String, source: String, keepUntil: KeepUntil) {
        self.id = id
        self.label = label
        self.source = source
        self.keepUntil = keepUntil
    }

    /// A named date of a family.
    public enum DateName: String, Sendable, CaseIterable {
        case youngestChildDOB = "youngest-child-dob"
        case eldestChildDOB = "eldest-child-dob"
        case lastClosure = "last-closure"
        case firstReferral = "first-referral"
        case lastEvent = "last-event"
    }

    /// One term: a named date plus a span.
    public struct Term: Sendable, Equatable, CustomStringConvertible {
        public let date: DateName
        public let years: Int
        public let months: Int
        public let days: Int

        public var description: String {
            var text = date.rawValue
            if years > 0 { text += " + \(years) year\(years == 1 ? "" : "s")" }
            if months > 0 { text += " + \(months) month\(months == 1 ? "" : "s")" }
            if days > 0 { text += " + \(days) day\(days == 1 ? "" : "s")" }
            return text
        }

        /// The term's date, from the family's named date, then its days added: years alone as an anniversary (a
        /// 29 February's falling on 1 March in a common year, as a birthday does: DOB+25 is the 25th birthday),
        /// years and months as months (the month's last day where it is shorter).
        public func after(_ base: CivilDate) -> CivilDate {
            let shifted =
                months == 0 ? base.anniversary(years) : base.adding(months: 12 * years + months)
            return shifted.adding(days: days)
        }
    }

    /// The parsed expression: one term, or the later or earlier of several.
    public struct KeepUntil: Sendable, Equatable, CustomStringConvertible {
        public enum Combination: String, Sendable {
            case later = "later of", earlier = "earlier of"
        }
        public let combination: Combination
        public let terms: [Term]

        public var description: String {
            terms.count == 1
                ? terms[0].description
                : "\(combination.rawValue): \(terms.map(\.description).joined(separator: ", "))"
        }

        /// Parses the expression; the error names `field` and what is wrong.
        public init(_ text: String, field: String) throws(PolicyError) {
            var body = Substring(text.trimmingWhitespace)
            var combination = Combination.later
            var combined = false
            for candidate in [Combination.later, .earlier]
            where body.hasPrefix(candidate.rawValue + ":") {
                combination = candidate
                combined = true
                body = body.dropFirst(candidate.rawValue.count + 1)
            }
            let parts = body.split(separator: ",", omittingEmptySubsequences: false)
            if combined && parts.count < 2 {
                throw PolicyError(
                    field: field,
                    rule: "\"\(combination.rawValue):\" needs two or more terms separated by commas"
                )
            }
            if !combined && parts.count > 1 {
                throw PolicyError(
                    field: field,
                    rule: "several terms need \"later of:\" or \"earlier of:\" before them")
            }
            var terms: [Term] = []
            for part in parts { terms.append(try Self.term(String(part), field: field)) }
            self.combination = combination
            self.terms = terms
        }

        static func term(_ text: String, field: String) throws(PolicyError) -> Term {
            let words = text.split(separator: " ").map(String.init)
            let names = DateName.allCases.map(\.rawValue).joined(separator: ", ")
            guard let first = words.first else {
                throw PolicyError(
                    field: field, rule: "an empty term (each term is a named date: \(names))")
            }
            guard let name = DateName(rawValue: first) else {
                throw PolicyError(
                    field: field, rule: "\"\(first)\" is not a named date (known: \(names))")
            }
            var years = 0, months = 0, days = 0
            var index = 1
            while index < words.count {
                guard words[index] == "+" else {
                    throw PolicyError(
                        field: field,
                        rule:
                            "after \"\(first)\" expected \"+ N years|months|weeks|days\", found \"\(words[index...].joined(separator: " "))\""
                    )
                }
                guard index + 2 < words.count, let count = Int(words[index + 1]), count >= 0,
                    count <= 200 * 366
                else {
                    throw PolicyError(
                        field: field,
                        rule:
                            "in \"\(text.trimmingWhitespace)\": \"+\" must be followed by a whole number and a unit (years, months, weeks, days)"
                    )
                }
                switch words[index + 2] {
                case "year", "years": years += count
                case "month", "months": months += count
                case "week", "weeks": days += 7 * count
                case "day", "days": days += count
                default:
                    throw PolicyError(
                        field: field,
                        rule: "\"\(words[index + 2])\" is not a unit (years, months, weeks, days)")
                }
                index += 3
            }
            return Term(date: name, years: years, months: months, days: days)
        }

        /// The date the record is kept until, given the family's named dates; or why it cannot be told.
        public func evaluate(_ dates: (DateName) -> Result<CivilDate, RetentionUndecided>)
            -> Result<CivilDate, RetentionUndecided>
        {
            var chosen: CivilDate?
            for term in terms {
                switch dates(term.date) {
                case .failure(let why): return .failure(why)
                case .success(let base):
                    let date = term.after(base)
                    switch combination {
                    case .later: chosen = max(chosen ?? date, date)
                    case .earlier: chosen = min(chosen ?? date, date)
                    }
                }
            }
            guard let chosen else {
                return .failure(RetentionUndecided(reason: "the rule has no term"))
            }
            return .success(chosen)
        }
    }
}

/// Why a family's retention cannot be decided (an open episode, a child with no date of birth …).
public struct RetentionUndecided: Error, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

extension String {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while view.first == " " { view = view.dropFirst() }
        while view.last == " " { view = view.dropLast() }
        return String(view)
    }
}
