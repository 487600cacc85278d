import EventLog
import LedgerCore
import LedgerEngine

/// A seeded generator of realistic casework: a registered workforce and families moving through referral,
/// triage, allocation, contact, engagement, assessment, plans, visits, reviews, step-ups, step-downs,
/// closures, re-referrals and outcomes, with some late work and some corrections. The same seed gives the same
/// events. Used by `ledger demo` and the benchmark; every event it makes is valid under the contract.
public struct DemoScenario: Sendable {
    /// One generated event: the day it is recorded on, and its JSON line.
    public struct Entry: Sendable {
        public var recordedOn: CivilDate
        public var line: String
    }

    public let families: Int
    public let today: CivilDate
    private var random: SplitMix
    public private(set) var entries: [Entry] = []
    private var order = 0
    private var sortKeys: [(CivilDate, Int)] = []

    static let fsws = ["w-101", "w-102", "w-103", "w-104", "w-105", "w-106", "w-107", "w-108"]
    static let fows = ["w-201", "w-202"]

    /// The role a practitioner of the scenario acts in.
    static func role(of worker: String) -> String { fows.contains(worker) ? "fow" : "fsw" }
    static let managers = ["m-301", "m-302"]
    static let names = [
        "Amira Khan", "Ben Holt", "Chloe Adams", "Dev Patel", "Ella Morris", "Finn O'Neill",
        "Grace Obi", "Hari Singh",
        "Isla Reid", "Jack Dunn", "Kaya Lewis", "Liam Price", "Maya Brooks", "Nathan Cole",
    ]
    static let surnames = [
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
        "Robinson",
        "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
        "Jackson", "Clarke", "Hussain",
    ]
    static let childNames = [
        "Megan", "Tyler", "Ava", "Noah", "Lily", "Jayden", "Ruby", "Mason", "Freya", "Oscar",
        "Poppy", "Leo",
    ]

    /// Family refs start at F-(1000 + firstFamily); chunks of a large log use different ranges.
    let firstFamily: Int
    /// Whether to register the teams and workforce (the first chunk only).
    let organisation: Bool

    /// Builds the scenario: `families` families over the year before `today`.
    public init(
        families: Int, seed: UInt64, today: CivilDate, firstFamily: Int = 0,
        organisation: Bool = true
    ) {
        self.families = families
        self.today = today
        self.firstFamily = firstFamily
        self.organisation = organisation
        random = SplitMix(seed: seed &+ UInt64(firstFamily))
        generate()
    }

    /// Writes the scenario into a new log at `path` through the real append path, as a service would have
    /// recorded it: the policy adopted as event 1, then each day's events that evening (17:30 UTC), one batch per
    /// day, with salts from `seed` so that the same seed gives the same log. Returns the events appended (with the
    /// policy) and any refusals (the scenario only makes valid events: a refusal is a bug worth seeing).
    public func record(
        into path: String, seed: UInt64,
        progress: (_ appended: Int, _ day: CivilDate) -> Void = { _, _ in }
    ) throws -> (appended: Int, refusals: [String]) {
        let entries = sortedEntries
        let base = LedgerEnvironment.deterministic(now: Timestamp(startOf: today), seed: seed)
        let first = entries.first?.recordedOn ?? today
        let store = LedgerStore(
            path: path, environment: base.at(Timestamp(startOf: first.adding(days: -1))))
        _ = try store.initialize(
            policy: JSONObject([JSONMember("profile", "leicestershire-early-help")]),
            effectiveFrom: CivilDate(year: 1990, month: 1, day: 1) ?? first,
            id: "policy-leicestershire")
        var index = 0
        var appended = 1
        var refusals: [String] = []
        while index < entries.count {
            let day = entries[index].recordedOn
            var lines: [[UInt8]] = []
            while index < entries.count && entries[index].recordedOn == day {
                lines.append(Array(entries[index].line.utf8))
                index += 1
            }
            let evening = Timestamp(seconds: Int64(day.dayNumber) * 86_400 + 17 * 3600 + 1800)
            let dayStore = LedgerStore(path: path, environment: base.at(evening))
            // The first day holds the systems' registration by the ledger, as `ledger init --system` writes it.
            let summary = try dayStore.append(
                .lines(lines), mode: .ingest(batchSize: 4096), settingUp: true
            ) {
                _, outcome, _ in
                if case .refused(let error) = outcome { refusals.append("\(day): \(error)") }
            }
            appended += summary.appended
            progress(appended, day)
        }
        return (appended, refusals)
    }

    /// The entries sorted by recording day (stable: each family's events stay in order).
    public var sortedEntries: [Entry] {
        zip(entries, sortKeys).sorted { ($0.1.0, $0.1.1) < ($1.1.0, $1.1.1) }.map(\.0)
    }

    // MARK: Generation

    private mutating func add(_ date: CivilDate, lateBy: Int = 0, _ object: JSONObject) {
        var recordedOn = date.adding(days: lateBy)
        if recordedOn > today { recordedOn = today }
        entries.append(Entry(recordedOn: recordedOn, line: JSONWriter.string(.object(object))))
        sortKeys.append((recordedOn, order))
        order += 1
    }

    private func event(
        _ id: String, _ stream: String, _ type: String, _ date: CivilDate, actor: String,
        role: String, _ data: JSONObject
    )
        -> JSONObject
    {
        JSONObject([
            JSONMember("id", .string(id)), JSONMember("stream", .string(stream)),
            JSONMember("type", .string(type)),
            JSONMember("occurredAt", .string(date.description)),
            JSONMember(
                "actor",
                .object(
                    JSONObject([
                        JSONMember("id", .string(actor)), JSONMember("role", .string(role)),
                    ]))),
            JSONMember("data", .object(data)),
        ])
    }

    /// The systems of the demo: the HR feed, and school and DWP data matching.
    package static let systems: [(id: String, purpose: String)] = [
        ("hr-system", "hr-feed"), ("dm-school", "school-attendance"), ("dm-dwp", "data-matching"),
    ]

    private mutating func generate() {
        let start = today.adding(days: -365)
        defer {
            for index in 0..<families {
                let opened = start.adding(days: random.int(0..<350))
                family(firstFamily + index, opened: opened)
            }
        }
        guard organisation else { return }
        // Organisation: teams and workforce, a year before.
        let setup = start.adding(days: -30)
        // The systems that feed it, registered as a new log's first systems are (`ledger init --system`).
        for (id, purpose) in Self.systems {
            add(
                setup,
                event(
                    "system-registered-\(id)", "system:\(id)", "system.registered", setup,
                    actor: WriteState.ledgerActor, role: Role.system,
                    JSONObject([
                        JSONMember("name", .string(id)), JSONMember("purpose", .string(purpose)),
                    ])))
        }
        add(
            setup,
            event(
                "team-north", "org", "team.defined", setup, actor: "hr-system", role: "system",
                JSONObject([
                    JSONMember("id", "north"), JSONMember("name", "North Early Help"),
                    JSONMember("locality", "Charnwood"),
                ])))
        add(
            setup,
            event(
                "team-south", "org", "team.defined", setup, actor: "hr-system", role: "system",
                JSONObject([
                    JSONMember("id", "south"), JSONMember("name", "South Early Help"),
                    JSONMember("locality", "Harborough"),
                ])))
        var nameIndex = 0
        func register(_ id: String, role: String, team: String, fte: String, caseload: (Int, Int)?)
            -> JSONObject
        {
            var data = JSONObject([
                JSONMember("name", .string(Self.names[nameIndex % Self.names.count])),
                JSONMember("role", .string(role)),
                JSONMember("team", .string(team)), JSONMember("fte", .number(fte)),
            ])
            nameIndex += 1
            if let caseload {
                data["caseload"] = .object(
                    JSONObject([
                        JSONMember("min", .int(caseload.0)), JSONMember("max", .int(caseload.1)),
                    ]))
            }
            return event(
                "reg-\(id)", "worker:\(id)", "worker.registered", setup, actor: "hr-system",
                role: "system", data)
        }
        for (index, id) in Self.managers.enumerated() {
            add(
                setup,
                register(
                    id, role: "team-manager", team: index == 0 ? "north" : "south", fte: "1",
                    caseload: nil))
        }
        for (index, id) in Self.fsws.enumerated() {
            let fte = index % 4 == 3 ? "0.6" : "1"
            add(
                setup,
                register(
                    id, role: "fsw", team: index < 4 ? "north" : "south", fte: fte,
                    caseload: (8, 12)))
        }
        for (index, id) in Self.fows.enumerated() {
            add(
                setup,
                register(
                    id, role: "fow", team: index == 0 ? "north" : "south", fte: "1",
                    caseload: (6, 10)))
        }
        add(
            setup,
            register("b-401", role: "business-support", team: "north", fte: "1", caseload: nil))
        // A worker who leaves part-way through the year.
        add(
            start.adding(days: 200),
            event(
                "left-w-108", "worker:w-108", "worker.left", start.adding(days: 200),
                actor: "hr-system", role: "system",
                JSONObject([JSONMember("reason", "Moved to another authority")])))
    }

    private mutating func family(_ index: Int, opened: CivilDate) {
        let ref = "F-\(1000 + index)"
        let stream = "family:\(ref)"
        let surname = Self.surnames[random.int(0..<Self.surnames.count)]
        let manager = Self.managers[index % 2]
        let team = index % 2
        var counter = 0
        func nextID(_ kind: String) -> String {
            counter += 1
            return "\(ref)-\(kind)-\(counter)"
        }
        var children: [(id: String, dob: CivilDate)] = []
        var members: [JSONValue] = [
            .object(
                JSONObject([
                    JSONMember("id", .string("P\(50000 + index)")),
                    JSONMember("name", .string("Sam \(surname)")), JSONMember("role", "parent"),
                ]))
        ]
        for child in 0..<(1 + random.int(0..<3)) {
            let dob = opened.adding(days: -(400 + random.int(0..<5000)))
            let id = "\(300000 + index * 4 + child)"
            children.append((id, dob))
            members.append(
                .object(
                    JSONObject([
                        JSONMember("id", .string(id)),
                        JSONMember(
                            "name",
                            .string(
                                "\(Self.childNames[random.int(0..<Self.childNames.count)]) \(surname)"
                            )),
                        JSONMember("dob", .string(dob.description)), JSONMember("role", "child"),
                    ])))
        }
        let criteriaPool = PbRCriterion.all
        var criteria: [JSONValue] = []
        for criterion in criteriaPool where random.chance(0.35) {
            criteria.append(.string(criterion))
        }
        if criteria.isEmpty { criteria.append(.string("children-need-help")) }
        let stepDown = random.chance(0.1)
        var referral = JSONObject([
            JSONMember(
                "source",
                .string(
                    ["school", "health", "mash", "police", "self", "early-help-network"][
                        random.int(0..<6)])),
            JSONMember(
                "referrer",
                .object(
                    JSONObject([
                        JSONMember("name", "A. Referrer"), JSONMember("agency", "Local school"),
                    ]))),
            JSONMember(
                "reason",
                .string(
                    [
                        "Concerns about school attendance", "Parenting support after a separation",
                        "Behaviour at home and at school", "Housing and money worries",
                        "Parental mental health",
                    ][random.int(0..<5)])),
            JSONMember("members", .array(members)), JSONMember("criteria", .array(criteria)),
        ])
        if stepDown {
            referral["stepDown"] = .object(
                JSONObject([
                    JSONMember("from", .string(random.chance(0.2) ? "cp" : "cin")),
                    JSONMember("planCompleted", .bool(random.chance(0.8))),
                    JSONMember("closureSummary", .bool(true)),
                ]))
        }
        var day = opened
        add(
            day,
            event(
                nextID("referral"), stream, "referral.received", day, actor: manager,
                role: "team-manager", referral))
        // Triage within a few working days; the outcome sets the first-contact timescale.
        day = day.adding(days: random.int(0..<3))
        let level = ["brief", "targeted", "targeted", "intensive"][random.int(0..<4)]
        let outcome = [4, 5, 6, 8, 12][random.int(0..<5)]
        add(
            day,
            event(
                nextID("triage"), stream, "triage.completed", day, actor: manager,
                role: "team-manager",
                JSONObject([
                    JSONMember("outcome", .int(outcome)),
                    JSONMember("priority", .string(["low", "medium", "high"][random.int(0..<3)])),
                    JSONMember("level", .string(level)),
                ])))
        add(
            day,
            event(
                nextID("allocation"), stream, "allocation.discussed", day, actor: manager,
                role: "team-manager",
                JSONObject([
                    JSONMember("decision", "accepted"), JSONMember("level", .string(level)),
                ])))
        let leaveDay = today.adding(days: -365 + 200)
        var pool =
            team == 0
            ? Array(Self.fsws[0..<4]) + [Self.fows[0]] : Array(Self.fsws[4..<8]) + [Self.fows[1]]
        // w-108 leaves on leaveDay: only families opened well before take them on, and they are reallocated.
        // Later chunks of a large log are appended after w-108's leaving: they never allocate them.
        if day >= leaveDay.adding(days: -100) || !organisation { pool.removeAll { $0 == "w-108" } }
        let lead = pool[random.int(0..<pool.count)]
        day = day.adding(days: random.chance(0.8) ? random.int(0..<4) : 5 + random.int(0..<10))
        guard day <= today else { return }
        add(
            day,
            event(
                nextID("allocated"), stream, "worker.allocated", day, actor: manager,
                role: "team-manager",
                JSONObject([
                    JSONMember("worker", .string(lead)), JSONMember("relationship", "lead"),
                ])))
        let youngest = children.max { $0.dob < $1.dob }?.id ?? "0"
        let locality = team == 0 ? "02" : "03"
        add(
            day,
            event(
                nextID("ufrn"), stream, "ufrn.assigned", day, actor: manager, role: "team-manager",
                JSONObject([
                    JSONMember("ufrn", .string(UFRN.make(locality: locality, childID: youngest))),
                    JSONMember("locality", .string(locality)),
                ])))
        var worker = (id: lead, role: Self.role(of: lead))
        let successor = pool.first { $0 != "w-108" } ?? "w-105"
        /// The family handed over to `next` on `date`: allocated as lead, then the lead until now unallocated.
        func handOver(to next: String, on date: CivilDate, reason: String) {
            add(
                date,
                event(
                    nextID("allocated"), stream, "worker.allocated", date, actor: manager,
                    role: "team-manager",
                    JSONObject([
                        JSONMember("worker", .string(next)), JSONMember("relationship", "lead"),
                    ])))
            add(
                date,
                event(
                    nextID("unallocated"), stream, "worker.unallocated", date, actor: manager,
                    role: "team-manager",
                    JSONObject([
                        JSONMember("worker", .string(worker.id)),
                        JSONMember("reason", .string(reason)),
                    ])))
            worker = (next, Self.role(of: next))
        }
        @discardableResult
        func by(_ type: String, _ date: CivilDate, _ data: JSONObject, late: Int = 0) -> String {
            if worker.id == "w-108" && date >= leaveDay {
                // The leaver's families move to a colleague on the day work next happens.
                handOver(to: successor, on: date, reason: "Worker left")
            }
            let id = nextID(type.split(separator: ".").first.map(String.init) ?? "e")
            add(
                date, lateBy: late,
                event(id, stream, type, date, actor: worker.id, role: worker.role, data))
            return id
        }
        day = day.adding(days: random.chance(0.85) ? 1 + random.int(0..<4) : 8 + random.int(0..<6))
        guard day <= today else { return }
        by("referrer.contacted", day, JSONObject([JSONMember("outcome", "Background shared")]))
        // Contact attempts, then engagement for most families.
        let engages = random.chance(0.85)
        if !engages && random.chance(0.5) {
            // Worked to the contact standard (004 §5): phone calls on five days, five texts, cold calls, a letter,
            // over more than three weeks.
            let plan = [
                "phone", "text", "phone", "text", "cold-call", "phone", "text", "letter", "phone",
                "text", "cold-call", "phone", "text",
            ]
            for method in plan where day <= today {
                by(
                    "contact.attempted", day,
                    JSONObject([
                        JSONMember("method", .string(method)), JSONMember("outcome", "no-response"),
                    ]))
                day = day.adding(days: 2)
            }
        }
        var attempts = engages ? 1 + random.int(0..<3) : 2 + random.int(0..<6)
        while attempts > 0 && day <= today {
            let method = ["phone", "phone", "text", "cold-call", "letter"][random.int(0..<5)]
            by(
                "contact.attempted", day,
                JSONObject([
                    JSONMember("method", .string(method)),
                    JSONMember(
                        "outcome",
                        .string(
                            ["no-answer", "message-left", "card-left", "no-response"][
                                random.int(0..<4)])),
                ]))
            day = day.adding(days: 1 + random.int(0..<4))
            attempts -= 1
        }
        guard day <= today else { return }
        if !engages {
            // Closed after the contact standard, met or not.
            add(
                day,
                event(
                    nextID("approval"), stream, "closure.approved", day, actor: manager,
                    role: "team-manager",
                    JSONObject([JSONMember("reason", "No engagement after the contact standard")])))
            add(
                day,
                event(
                    nextID("closed"), stream, "case.closed", day, actor: manager,
                    role: "team-manager",
                    JSONObject([
                        JSONMember("reason", .string(random.chance(0.5) ? "disengaged" : "refused"))
                    ])))
            return
        }
        by("engagement.started", day, JSONObject())
        by(
            "consent.recorded", day,
            JSONObject([JSONMember("scope", "service"), JSONMember("given", true)]))
        let engagedOn = day
        // Assessment: a Family Star for targeted and intensive work, Signs of Wellbeing for brief.
        var star = (0..<10).map { _ in 2 + random.int(0..<4) }
        day = day.adding(
            days: random.chance(0.8) ? 7 + random.int(0..<28) : 43 + random.int(0..<20))
        guard day <= today else { return }
        if level == "brief" {
            by(
                "assessment.completed", day,
                JSONObject([
                    JSONMember("kind", "signs-of-wellbeing"),
                    JSONMember("safetyScale", .int(3 + random.int(0..<5))),
                ]))
        } else {
            by(
                "assessment.completed", day,
                JSONObject([
                    JSONMember("kind", "family-star"), JSONMember("familyStar", starValue(star)),
                    JSONMember("worries", "Attendance and routines"),
                    JSONMember("strengths", "Warm relationships"),
                ]), late: random.chance(0.1) ? 3 : 0)
        }
        let planDay = day.adding(days: random.int(0..<5))
        guard planDay <= today else { return }
        day = planDay
        by(
            "plan.agreed", day,
            JSONObject([
                JSONMember("kind", "support-plan"),
                JSONMember("reviewBy", .string(day.adding(days: 42).description)),
                JSONMember(
                    "actions",
                    .array([
                        .object(
                            JSONObject([
                                JSONMember("id", "a1"), JSONMember("what", "Morning routine chart"),
                                JSONMember("who", "Parent"),
                                JSONMember("domain", "routine"),
                                JSONMember("due", .string(day.adding(days: 21).description)),
                            ])),
                        .object(
                            JSONObject([
                                JSONMember("id", "a2"),
                                JSONMember("what", "Weekly check-in with school"),
                                JSONMember("who", "FSW"),
                                JSONMember("everyDays", .int(7)),
                            ])),
                    ])),
            ]))
        // Requirements, visits and reviews until closure.
        let lengthDays =
            level == "brief"
            ? 30 + random.int(0..<25)
            : level == "targeted" ? 80 + random.int(0..<80) : 150 + random.int(0..<200)
        let closeDay = max(engagedOn.adding(days: lengthDays), planDay.adding(days: 14))
        var nextReview = planDay.adding(
            days: random.chance(0.8) ? 38 + random.int(0..<6) : 50 + random.int(0..<20))
        var summaryDue = engagedOn.adding(days: 110 + random.int(0..<20))
        var requirements = MinimumRequirement.all
        let skipRequirement = random.chance(0.3)
        if skipRequirement { requirements.removeLast() }
        var corrected = false
        let stepsUp = random.chance(0.08)
        while true {
            day = day.adding(days: 7 + random.int(0..<14))
            if day > today || day >= closeDay { break }
            let visitID = by(
                "visit.completed", day,
                JSONObject([
                    JSONMember("kind", .string(random.chance(0.8) ? "home" : "school")),
                    JSONMember("childSeenAlone", .bool(random.chance(0.5))),
                ]))
            if !corrected && random.chance(0.06) {
                corrected = true
                by(
                    "event.corrected", day,
                    JSONObject([
                        JSONMember("target", .string(visitID)),
                        JSONMember("reason", "Recorded as a home visit; it was at school"),
                        JSONMember("data", .object(JSONObject([JSONMember("kind", "school")]))),
                    ]))
            }
            if random.chance(0.25) {
                let noteID = by(
                    "note.recorded", day,
                    JSONObject([
                        JSONMember("subject", "Direct work"),
                        JSONMember(
                            "body",
                            "Worked on routines with the family; children happy and settled."),
                        JSONMember("kind", "direct-work"),
                    ]))
                if random.chance(0.1) {
                    by(
                        "event.voided", day,
                        JSONObject([
                            JSONMember("target", .string(noteID)),
                            JSONMember("reason", "Recorded on the wrong family"),
                        ]))
                }
            }
            if let requirement = requirements.first, random.chance(0.8) {
                requirements.removeFirst()
                by(
                    "requirement.met", day,
                    JSONObject([JSONMember("requirement", .string(requirement))]))
            }
            if day >= nextReview && level != "brief" {
                star = star.map { min(10, $0 + random.int(0..<3)) }
                by(
                    "review.completed", day,
                    JSONObject([
                        JSONMember("familyStar", starValue(star)),
                        JSONMember("outcome", "continue"),
                        JSONMember("nextReviewBy", .string(day.adding(days: 42).description)),
                    ]))
                nextReview = day.adding(
                    days: random.chance(0.85) ? 35 + random.int(0..<7) : 50 + random.int(0..<14))
            }
            if day >= summaryDue && level != "brief" {
                by(
                    "case-summary.completed", day,
                    JSONObject([JSONMember("reason", "four-monthly")]))
                summaryDue = day.adding(days: 88)
            }
            if stepsUp && day >= engagedOn.adding(days: 40) {
                by(
                    "stepup.requested", day,
                    JSONObject([
                        JSONMember("to", "social-care"),
                        JSONMember("reason", "Escalating safeguarding concerns"),
                    ]))
                add(
                    day,
                    event(
                        nextID("stepup"), stream, "stepup.decided", day, actor: manager,
                        role: "team-manager",
                        JSONObject([JSONMember("accepted", true)])))
                let closing = day.adding(days: random.int(0..<8))
                guard closing <= today else { return }
                add(
                    closing,
                    event(
                        nextID("closed"), stream, "case.closed", closing, actor: manager,
                        role: "team-manager",
                        JSONObject([JSONMember("reason", "stepped-up")])))
                return
            }
            if random.chance(0.03),
                let other = pool.filter({ $0 != worker.id && $0 != "w-108" }).first
            {
                handOver(to: other, on: day, reason: "Caseload balancing")
            }
        }
        guard closeDay <= today else { return }
        // Closure: a final review for targeted and intensive work, a manager's approval, then closure.
        day = closeDay
        if level != "brief" {
            star = star.map { min(10, $0 + random.int(0..<2)) }
            by(
                "review.completed", day,
                JSONObject([
                    JSONMember("familyStar", starValue(star)), JSONMember("outcome", "close"),
                ]))
        }
        add(
            day,
            event(
                nextID("approval"), stream, "closure.approved", day, actor: manager,
                role: "team-manager",
                JSONObject([JSONMember("reason", "Plan outcomes met")])))
        by(
            "case.closed", day,
            JSONObject([
                JSONMember("reason", "met-outcomes"),
                JSONMember(
                    "summary",
                    .object(
                        JSONObject([
                            JSONMember(
                                "supportProvided", "Routines, school liaison and parenting support"),
                            JSONMember("impactOnChildren", "Attending school and calmer at home"),
                            JSONMember("parentViews", "Feels more confident"),
                        ]))),
                JSONMember(
                    "exitPlan",
                    .object(
                        JSONObject([
                            JSONMember("signposting", .array(["Family Information Service"])),
                            JSONMember("fis", true),
                        ]))),
            ]))
        // Outcomes after closure: attendance from data matching, sometimes employment, sometimes a claim.
        let after = day.adding(days: 30 + random.int(0..<60))
        if after <= today {
            for child in children {
                add(
                    after,
                    event(
                        nextID("attendance"), stream, "attendance.recorded", after,
                        actor: "dm-school", role: "system",
                        JSONObject([
                            JSONMember("memberId", .string(child.id)),
                            JSONMember("from", .string(after.adding(days: -90).description)),
                            JSONMember("to", .string(after.description)),
                            JSONMember("percent", .int(82 + random.int(0..<18))),
                        ])))
            }
            if random.chance(0.2) {
                add(
                    after,
                    event(
                        nextID("employment"), stream, "employment.recorded", after, actor: "dm-dwp",
                        role: "system",
                        JSONObject([
                            JSONMember("memberId", .string("P\(50000 + index)")),
                            JSONMember("startedOn", .string(day.description)),
                            JSONMember("benefit", .string(random.chance(0.5) ? "uc" : "esa")),
                            JSONMember("continuousWeeks", .int(8 + random.int(0..<24))),
                        ])))
            }
            if random.chance(0.3) {
                add(
                    after,
                    event(
                        nextID("claim"), stream, "pbr.claimed", after, actor: "b-401",
                        role: "business-support",
                        JSONObject([
                            JSONMember("kind", "attachment"),
                            JSONMember("reference", .string("CLAIM-\(index)")),
                        ])))
            }
        }
        // Some families come back.
        if random.chance(0.12) {
            let again = day.adding(days: 20 + random.int(0..<100))
            if again <= today {
                var second = referral
                second["reason"] = "Re-referral: concerns have returned"
                second["stepDown"] = nil
                add(
                    again,
                    event(
                        nextID("referral"), stream, "referral.received", again, actor: manager,
                        role: "team-manager", second))
            }
        }
    }

    private func starValue(_ scores: [Int]) -> JSONValue {
        .object(JSONObject(zip(FamilyStar.domains, scores).map { JSONMember($0, .int($1)) }))
    }
}
