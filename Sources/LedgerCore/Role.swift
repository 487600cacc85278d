/// `actor.role` values (EVENTS.md §2).
public enum Role {
    /// Practitioners.
    public static let practitioners: Set<String> = [
        "fsw", "fow", "youth-worker", "parenting-worker", "social-worker",
    ]
    /// Managers: the roles that may record **manager** events.
    public static let managers: Set<String> = [
        "fs-coordinator", "team-leader", "senior-fow", "team-manager", "operations-manager",
    ]
    /// Everyone else.
    public static let others: Set<String> = ["business-support", "early-help-officer", "system"]
    /// Every role.
    public static let all: Set<String> = practitioners.union(managers).union(others)
    /// The roles a person can be registered in: every role but `system` (a person never acts as a system).
    public static let people: Set<String> = all.subtracting(["system"])
    /// The role of an ingesting system; its actors need not be registered workers.
    public static let system = "system"
}

/// Levels of intervention (EVENTS.md §5).
public enum InterventionLevel {
    /// All levels, in order of intensity.
    public static let all = [
        "brief", "targeted", "intensive", "complex-0-5", "complex", "complex-intensive", "cin",
    ]
}

/// The ten Family Star Plus domains (EVENTS.md §4), in the order the star is drawn.
public enum FamilyStar {
    /// Domain names.
    public static let domains = [
        "physicalHealth", "wellbeing", "emotionalNeeds", "keepingSafe", "socialNetworks",
        "education",
        "boundaries", "routine", "progressToWork", "homeAndMoney",
    ]
}

/// The minimum requirements of a family's plan (EVENTS.md `requirement.met`, 004 §9): the catalogue's values,
/// the closure check and the demo read this one list.
public enum MinimumRequirement {
    /// Requirement names, in the order 004 §9 gives them.
    public static let all = [
        "gp", "dentist", "childrens-centre", "early-education", "school-place", "smoking-cessation",
        "young-carer-check",
    ]
}

/// Troubled Families headline problems (EVENTS.md §4).
public enum PbRCriterion {
    /// Criterion names.
    public static let all = [
        "crime-asb", "education", "children-need-help", "worklessness", "domestic-abuse", "health",
    ]
}
