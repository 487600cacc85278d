/// A refused event: the input line, the event id where there is one, the field, and the rule it breaks.
public struct ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line number in the input (or the log, for `verify`).
    public var line: Int
    /// The event's id, when the line got far enough to have one.
    public var id: String?
    /// Path of the offending member, e.g. `data.familyStar.keepingSafe`, or `line` for the whole line.
    public var field: String
    /// The rule, in words a person can act on.
    public var rule: String
    /// The seq of the earlier event in the log the refusal names, when it names one found by a walk that
    /// `verify` splits by family (a worker's first act in a role): of two refusals of one line, the one naming
    /// the earliest is the one an append gives.
    package var witness: Int?

    /// A refusal.
    public init(line: Int, id: String? = nil, field: String, rule: String) {
        self.line = line
        self.id = id
        self.field = field
        self.rule = rule
    }

    /// The reason without the line prefix (for rejects files, which carry the line separately).
    public var reason: String { "\(field): \(rule)" }

    public var description: String {
        "line \(line)\(id.map { " (id \($0))" } ?? ""): \(field): \(rule)"
    }
}
