import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// Issue 20: `ledger record` and `ledger correct` for every event type of the catalogue, through the binary as a
/// worker types them. One story of a family and its staff holds an event of every type that can be written by
/// hand; each is recorded from flags alone (objects member by member, `--familyStar.routine 4`; lists as JSON
/// arrays, `--members '[…]'`) in one log, and appended as the JSON line it stands for in another: the two logs
/// must be the same bytes. Then one field of each is corrected (`ledger correct ID --set FIELD=VALUE`) and the
/// correction must hold the event's data with that field changed and every other kept.
@Suite("ledger CLI: record and correct every event type from flags")
struct EveryTypeCLITests {
    /// An event of the story, and the correction of one of its fields (`FIELD=VALUE`, and the field's new value as
    /// the data holds it) made by `actor`.
    struct Step: Sendable {
        var id: String
        var stream: String
        var type: String
        var on: String
        var actor: String
        var data: JSONValue
        var correct: (set: String, path: [String], value: JSONValue, actor: String)?
    }

    static let star: JSONValue = [
        "physicalHealth": 3, "wellbeing": 4, "emotionalNeeds": 5, "keepingSafe": 6,
        "socialNetworks": 7, "education": 2, "boundaries": 3, "routine": 4, "progressToWork": 5,
        "homeAndMoney": 6,
    ]

    static func step(
        _ id: String, _ stream: String, _ type: String, _ on: String, _ actor: String,
        _ data: JSONValue, correct: (String, [String], JSONValue)? = nil, by: String = "m-001"
    ) -> Step {
        Step(
            id: id, stream: stream, type: type, on: on, actor: actor, data: data,
            correct: correct.map { ($0.0, $0.1, $0.2, by) })
    }

    static let family = "family:F-1"

    /// The story: staff, a team, a later policy, a system; then a family from referral to closure, with its
    /// outcomes, a hold, a correction and a void; then a leaver and a retired system.
    static let story: [Step] = [
        step(
            "reg-m-001", "worker:m-001", "worker.registered", "2026-01-05", "hr",
            ["name": "Jo Khan", "role": "team-manager", "team": "north", "fte": 1],
            correct: ("name=Jo Khan-Ali", ["name"], "Jo Khan-Ali"), by: "hr"),
        step(
            "reg-w-017", "worker:w-017", "worker.registered", "2026-01-05", "hr",
            [
                "name": "Sam Patel", "role": "fsw", "team": "north", "fte": 1,
                "caseload": ["min": 8, "max": 12],
            ], correct: ("caseload.max=14", ["caseload", "max"], 14)),
        step(
            "reg-w-018", "worker:w-018", "worker.registered", "2026-01-05", "hr",
            ["name": "Ana Silva", "role": "fow", "team": "north", "fte": .number("0.8")],
            correct: ("fte=0.6", ["fte"], .number("0.6"))),
        step(
            "team-north", "org", "team.defined", "2026-01-06", "m-001",
            ["id": "north", "name": "North Early Help", "locality": "Northtown"],
            correct: ("name=North Early Help Team", ["name"], "North Early Help Team")),
        step(
            "policy-2026", "org", "policy.adopted", "2026-01-06", "m-001",
            ["profile": "warwickshire-fsw", "effectiveFrom": "2026-01-01"]),
        step(
            "sys-mosaic", "system:mosaic", "system.registered", "2026-01-06", "m-001",
            ["name": "Mosaic", "purpose": "case-system-export"],
            correct: ("name=Mosaic export", ["name"], "Mosaic export")),
        step(
            "chg-w-018", "worker:w-018", "worker.changed", "2026-01-07", "m-001",
            ["fte": .number("0.7")],
            correct: ("fte=0.5", ["fte"], .number("0.5"))),
        step(
            "ref-F-1", family, "referral.received", "2026-02-02", "m-001",
            [
                "source": "school", "referrer": ["name": "Ms Hill", "agency": "Oak School"],
                "reason": "Attendance",
                "members": [
                    ["id": "c-1", "name": "Megan Jones", "dob": "2015-04-01", "role": "child"],
                    ["id": "p-1", "name": "Ann Jones", "role": "parent"],
                ],
                "criteria": ["education"], "singleAssessment": false,
            ],
            correct: ("members[1].name=Anne Jones", ["members", "1", "name"], "Anne Jones")),
        step(
            "ufrn-F-1", family, "ufrn.assigned", "2026-02-02", "m-001",
            ["ufrn": "EH03c-1F", "locality": "03"]),
        step(
            "tri-F-1", family, "triage.completed", "2026-02-03", "m-001",
            ["outcome": 4, "priority": "medium", "level": "targeted"],
            correct: ("priority=high", ["priority"], "high")),
        step(
            "disc-F-1", family, "allocation.discussed", "2026-02-03", "m-001",
            ["decision": "accepted", "note": "Capacity in north"],
            correct: ("note=Capacity in the north team", ["note"], "Capacity in the north team")),
        step(
            "all-F-1", family, "worker.allocated", "2026-02-04", "m-001",
            ["worker": "w-017", "relationship": "lead"],
            correct: ("relationship=assigned", ["relationship"], "assigned")),
        // (w-018 has left by the time the corrections are made: an allocation of theirs is not corrected.)
        step(
            "all2-F-1", family, "worker.allocated", "2026-02-04", "m-001",
            ["worker": "w-018", "relationship": "second"]),
        step(
            "unall-F-1", family, "worker.unallocated", "2026-02-05", "m-001",
            ["worker": "w-018", "reason": "Covered"],
            correct: ("reason=Covered by the lead", ["reason"], "Covered by the lead")),
        step(
            "rc-F-1", family, "referrer.contacted", "2026-02-05", "w-017",
            ["outcome": "Background shared"],
            correct: (
                "outcome=Background and plan shared", ["outcome"], "Background and plan shared"
            ),
            by: "w-017"),
        step(
            "con-F-1", family, "contact.attempted", "2026-02-05", "w-017",
            ["method": "phone", "outcome": "reached", "respondBy": "2026-02-10"],
            correct: ("method=text", ["method"], "text"), by: "w-017"),
        step(
            "cons-F-1", family, "consent.recorded", "2026-02-06", "w-017",
            ["scope": "service", "given": true, "memberId": "p-1"],
            correct: ("memberId=c-1", ["memberId"], "c-1"), by: "w-017"),
        step("eng-F-1", family, "engagement.started", "2026-02-06", "w-017", [:]),
        step(
            "add-F-1", family, "family.member.added", "2026-02-07", "w-017",
            ["member": ["id": "c-2", "name": "Leo Jones", "dob": "2019-06-01", "role": "child"]],
            correct: ("member.name=Leon Jones", ["member", "name"], "Leon Jones"), by: "w-017"),
        step(
            "left-F-1", family, "family.member.left", "2026-02-08", "w-017", ["memberId": "c-2"]),
        step(
            "vis-F-1", family, "visit.completed", "2026-02-09", "w-017",
            [
                "kind": "home", "childrenSeen": ["c-1"], "childSeenAlone": true,
                "reflection": "Calm",
            ],
            correct: ("kind=school", ["kind"], "school"), by: "w-017"),
        step(
            "meet-F-1", family, "meeting.attended", "2026-02-10", "w-017",
            ["kind": "family-support-meeting"],
            correct: ("kind=multi-agency", ["kind"], "multi-agency"), by: "w-017"),
        step(
            "note-F-1", family, "note.recorded", "2026-02-10", "w-017",
            ["subject": "Direct work", "body": "Routines", "kind": "direct-work"],
            correct: ("body=Routines and sleep", ["body"], "Routines and sleep"), by: "w-017"),
        step(
            "sup-F-1", family, "supervision.recorded", "2026-02-11", "m-001",
            ["decisions": ["Keep going", "Review in May"]],
            correct: (
                #"decisions=["Keep going","Review in June"]"#, ["decisions"],
                ["Keep going", "Review in June"]
            )),
        step(
            "conc-F-1", family, "concern.raised", "2026-02-11", "w-017",
            ["kind": "young-carer", "action": "manager-consulted"],
            correct: ("kind=other", ["kind"], "other"), by: "w-017"),
        step(
            "req-F-1", family, "requirement.met", "2026-02-12", "w-017", ["requirement": "gp"],
            correct: ("requirement=dentist", ["requirement"], "dentist"), by: "w-017"),
        step(
            "ass-F-1", family, "assessment.completed", "2026-02-20", "w-017",
            [
                "kind": "family-star", "familyStar": star, "worries": "Sleep",
                "strengths": ["Warm", "Engaged"],
            ],
            correct: ("familyStar.routine=6", ["familyStar", "routine"], 6), by: "w-017"),
        step(
            "plan-F-1", family, "plan.agreed", "2026-02-21", "w-017",
            [
                "kind": "support-plan",
                "actions": [
                    ["id": "a-1", "what": "Bedtime routine", "who": "Ann", "due": "2026-03-21"]
                ],
                "reviewBy": "2026-05-01", "visitEveryDays": 14, "views": ["parent": "Helpful"],
            ],
            correct: ("actions[0].who=Ann and Sam", ["actions", "0", "who"], "Ann and Sam"),
            by: "w-017"),
        step(
            "upd-F-1", family, "plan.updated", "2026-03-01", "w-017",
            ["reviewBy": "2026-06-01", "addedWeeks": 4],
            correct: ("addedWeeks=6", ["addedWeeks"], 6), by: "w-017"),
        step(
            "dist-F-1", family, "plan.distributed", "2026-03-02", "w-017",
            ["to": ["school", "gp"]],
            correct: ("to=school,gp,health visitor", ["to"], ["school", "gp", "health visitor"]),
            by: "w-017"),
        step(
            "rev-F-1", family, "review.completed", "2026-04-20", "w-017",
            [
                "outcome": "continue", "familyStar": star,
                "actions": [["id": "a-1", "status": "done"]],
                "nextReviewBy": "2026-08-01",
            ],
            correct: ("actions[0].status=partly", ["actions", "0", "status"], "partly"), by: "w-017"
        ),
        step(
            "cs-F-1", family, "case-summary.completed", "2026-05-01", "w-017",
            ["reason": "four-monthly"],
            correct: ("reason=consultation", ["reason"], "consultation"), by: "w-017"),
        step(
            "ext-F-1", family, "extension.agreed", "2026-05-02", "m-001",
            ["what": "plan", "until": "2026-09-01", "reason": "Holiday"],
            correct: ("until=2026-09-15", ["until"], "2026-09-15")),
        step(
            "lvl-F-1", family, "level.changed", "2026-05-03", "w-017",
            ["level": "intensive", "reason": "escalation"],
            correct: ("level=complex", ["level"], "complex"), by: "w-017"),
        step(
            "sur-F-1", family, "stepup.requested", "2026-05-04", "w-017",
            ["to": "social-care", "reason": "Escalating", "s47": false],
            correct: ("reason=Escalating concerns", ["reason"], "Escalating concerns"), by: "w-017"),
        step(
            "sud-F-1", family, "stepup.decided", "2026-05-05", "m-001", ["accepted": false],
            correct: ("transitionUntil=2026-06-01", ["transitionUntil"], "2026-06-01")),
        step(
            "tr-F-1", family, "transfer.completed", "2026-05-06", "m-001",
            ["team": "north", "worker": "w-017"]),
        step(
            "pci-F-1", family, "pbr.criteria.identified", "2026-05-07", "w-017",
            [
                "criteria": ["education", "health"], "evidence": "Assessment",
                "source": "assessment",
            ],
            correct: ("evidence=Assessment of February", ["evidence"], "Assessment of February"),
            by: "w-017"),
        step(
            "att-F-1", family, "attendance.recorded", "2026-05-08", "dm",
            [
                "memberId": "c-1", "from": "2026-01-05", "to": "2026-04-30",
                "percent": .number("88.5"), "exclusions": 0,
            ],
            correct: ("percent=91", ["percent"], 91), by: "dm"),
        step(
            "off-F-1", family, "offence.recorded", "2026-05-08", "dm",
            ["memberId": "p-1", "kind": "asb"], correct: ("kind=offence", ["kind"], "offence"),
            by: "dm"),
        step(
            "emp-F-1", family, "employment.recorded", "2026-05-08", "dm",
            ["memberId": "p-1", "startedOn": "2026-03-02", "benefit": "uc", "continuousWeeks": 9],
            correct: ("continuousWeeks=10", ["continuousWeeks"], 10), by: "dm"),
        step(
            "claim-F-1", family, "pbr.claimed", "2026-05-09", "m-001",
            ["kind": "attachment", "reference": "Claim 1"],
            correct: ("reference=Claim 1a", ["reference"], "Claim 1a")),
        step(
            "hold-F-1", family, "hold.placed", "2026-05-10", "m-001",
            ["reason": "Complaint", "reference": "C-1"]),
        step(
            "lift-F-1", family, "hold.lifted", "2026-05-20", "m-001",
            ["hold": "hold-F-1", "reason": "Resolved"]),
        step(
            "ca-F-1", family, "closure.approved", "2026-06-01", "m-001", ["reason": "Needs met"],
            correct: ("reason=Needs met in full", ["reason"], "Needs met in full")),
        step(
            "close-F-1", family, "case.closed", "2026-06-02", "m-001",
            [
                "reason": "met-outcomes",
                "summary": [
                    "supportProvided": "Routines", "impactOnChildren": "Attends",
                    "parentViews": "Glad",
                ],
                "exitPlan": ["signposting": ["Library"], "fis": true],
            ],
            correct: ("summary.parentViews=Pleased", ["summary", "parentViews"], "Pleased")),
        step(
            "fix-F-1", family, "event.corrected", "2026-06-03", "w-017",
            [
                "target": "meet-F-1", "reason": "Wrong kind",
                "data": ["kind": "core-group"],
            ]),
        step(
            "void-F-1", family, "event.voided", "2026-06-03", "w-017",
            ["target": "eng-F-1", "reason": "Wrong family"]),
        step(
            "left-w-018", "worker:w-018", "worker.left", "2026-06-30", "hr", ["reason": "Moved"],
            correct: ("reason=Moved away", ["reason"], "Moved away")),
        step(
            "ret-mosaic", "system:mosaic", "system.retired", "2026-07-01", "m-001",
            ["reason": "Replaced"],
            correct: ("reason=Replaced by LCS", ["reason"], "Replaced by LCS")),
    ]

    /// The types `record` refuses, with why: written only by the ledger itself.
    static let notByHand: Set<String> = ["record.redacted"]

    /// The stream flag of a step: `--family`, `--worker` (`--worker-stream` for a type with its own `worker`
    /// field), `--system` or `--org`.
    static func streamFlags(_ step: Step) -> [String] {
        let parts = step.stream.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first {
        case "family": return ["--family", parts[1]]
        case "worker": return ["--worker", parts[1]]
        case "system": return ["--system", parts[1]]
        default: return ["--org"]
        }
    }

    /// A data member as flags: a value as it is written, an object member by member (`--name.member`), a list as
    /// a JSON array.
    static func flags(_ name: String, _ value: JSONValue) -> [String] {
        switch value {
        case .object(let object) where !object.members.isEmpty:
            return object.members.flatMap { flags("\(name).\($0.key)", $0.value) }
        case .string(let text): return ["--\(name)", text]
        case .number(let text): return ["--\(name)", text]
        case .bool(let flag): return ["--\(name)", flag ? "true" : "false"]
        default: return ["--\(name)", JSONWriter.string(value)]
        }
    }

    static func line(_ step: Step) -> String {
        let role =
            ["hr", "dm"].contains(step.actor)
            ? "system" : step.actor.hasPrefix("m-") ? "team-manager" : "fsw"
        var object = JSONObject()
        object["id"] = .string(step.id)
        object["stream"] = .string(step.stream)
        object["type"] = .string(step.type)
        object["occurredAt"] = .string(step.on)
        object["actor"] = ["id": .string(step.actor), "role": .string(role)]
        object["data"] = step.data
        return JSONWriter.string(.object(object))
    }

    static func initialized(_ directory: TemporaryDirectory, _ name: String) -> String {
        let log = directory.file(name)
        let made = Subprocess.ledger(
            ["init", "--log", log, "--system", "hr:hr-feed", "--system", "dm:data-matching"],
            environment: CLIWriteTests.now, in: directory)
        #expect(made.status == 0, "\(made.stderr)")
        return log
    }

    @Test("the story holds every type of the catalogue but those only the ledger writes")
    func coverage() {
        #expect(Set(Self.story.map(\.type)).union(Self.notByHand) == Set(Catalogue.types.keys))
    }

    @Test(
        "every type recorded from flags is the line it stands for, byte for byte; then every field corrected"
    )
    func recordAndCorrect() throws {
        let directory = TemporaryDirectory()
        let appended = Self.initialized(directory, "appended.jsonl")
        let recorded = Self.initialized(directory, "recorded.jsonl")
        for step in Self.story {
            let append = Subprocess.ledger(
                ["append", "--log", appended], environment: CLIWriteTests.now,
                stdin: Self.line(step) + "\n", in: directory)
            try #require(append.status == 0, "append \(step.id): \(append.stderr)")
            let dataFlags =
                step.data.objectValue?.members.flatMap { Self.flags($0.key, $0.value) } ?? []
            let record = Subprocess.ledger(
                // A type with its own `id` field (team.defined) takes the event's id as --event-id.
                ["record", step.type, "--actor", step.actor, "--on", step.on]
                    + [step.data.objectValue?["id"] == nil ? "--id" : "--event-id", step.id]
                    + Self.streamFlags(step) + dataFlags + ["--log", recorded],
                environment: CLIWriteTests.now, in: directory)
            try #require(record.status == 0, "record \(step.id): \(record.stderr)")
            #expect(readLines(recorded).last == readLines(appended).last, "\(step.type)")
        }
        #expect(readBytes(recorded) == readBytes(appended))

        // One field of each corrected: the rest kept.
        for step in Self.story {
            guard let correction = step.correct else { continue }
            let result = Subprocess.ledger(
                [
                    "correct", step.id, "--set", correction.set, "--reason", "Typed wrong",
                    "--actor", correction.actor, "--id", "fix-\(step.id)", "--log", recorded,
                ], environment: CLIWriteTests.now, in: directory)
            try #require(result.status == 0, "correct \(step.id): \(result.stderr)")
            let stored = try LineFormat.decode(Array((readLines(recorded).last ?? "").utf8)).content
            let data = try #require(stored.data.objectValue)
            #expect(stored.type == "event.corrected" && stored.stream == step.stream)
            #expect(data["target"] == .string(step.id) && data["reason"] == "Typed wrong")
            #expect(
                data["data"]
                    == Self.replacing(step.data, at: correction.path[...], with: correction.value),
                "\(step.type): \(correction.set)")
        }
        // A hold is never corrected (it ends with hold.lifted), nor a correction or a void (correct the original).
        for id in ["hold-F-1", "lift-F-1", "fix-F-1", "void-F-1"] {
            let refused = Subprocess.ledger(
                [
                    "correct", id, "--set", "reason=Other", "--reason", "Typed wrong", "--actor",
                    "m-001",
                    "--log", recorded,
                ], environment: CLIWriteTests.now, in: directory)
            #expect(refused.status != 0 && refused.stderr.contains(id), "\(id): \(refused.stderr)")
        }
        let verify = Subprocess.ledger(["verify", "--log", recorded], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test("record refuses the types only the ledger writes")
    func notByHand() {
        let directory = TemporaryDirectory()
        let log = Self.initialized(directory, "ledger.jsonl")
        for type in Self.notByHand {
            let result = Subprocess.ledger(
                ["record", type, "--actor", "m-001", "--org", "--log", log], in: directory)
            #expect(result.status != 0, "\(type)")
        }
    }

    /// `value` with the member at `path` (object members, or list items by index) replaced.
    static func replacing(_ value: JSONValue, at path: ArraySlice<String>, with new: JSONValue)
        -> JSONValue
    {
        guard let head = path.first else { return new }
        switch value {
        case .object(var object):
            object[head] = replacing(object[head] ?? .null, at: path.dropFirst(), with: new)
            return .object(object)
        case .array(var items):
            guard let index = Int(head), items.indices.contains(index) else { return value }
            items[index] = replacing(items[index], at: path.dropFirst(), with: new)
            return .array(items)
        default: return value
        }
    }
}
