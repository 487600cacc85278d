import EventLog
import LedgerCore

/// A family's subject-access bundle (DATA-PROTECTION.md, `ledger export-family`): everything held about the
/// family, for the family to read: `html` (a static page: plain sentences, printable on A4, no scripts, a strict
/// content security policy) and `json` (the events as the timeline shows them: corrections applied, originals
/// kept). Pure: the command reads the log and writes the files.
///
/// Third-party information is withheld, and each withholding is listed with its reason: the referrer's identity
/// (`data.referrer`), another system's internal reference (`source.ref`), and any person an event names who is not
/// a member of this family (`memberId`, `childrenSeen`, `member`, `members`). Staff acting in their professional
/// role are named. Free text (notes, reasons) is shown as recorded: nobody but a person can tell whether it names
/// someone else, so whoever sends the bundle reads it first (README, information-governance officer).
public struct SubjectAccessBundle: Sendable {
    /// One event of the family's stream as read back from its line: the event (corrections applied, its
    /// amendments' originals kept), the line's `source`, and its redaction notice when the payload was removed.
    public struct Event: Sendable {
        public var event: StoredEvent
        public var source: JSONObject?
        public var redacted: JSONObject?

        public init(event: StoredEvent, source: JSONObject?, redacted: JSONObject?) {
            self.event = event
            self.source = source
            self.redacted = redacted
        }
    }

    /// A member of staff or a system, as registered.
    public struct Actor: Sendable, Equatable {
        public var name: String
        public var role: String

        public init(name: String, role: String) {
            self.name = name
            self.role = role
        }
    }

    /// A piece of information withheld: where (the event's seq and the field) and why.
    public struct Withholding: Sendable, Equatable {
        public var seq: Int
        public var field: String
        public var reason: String
    }

    /// A member of the family.
    struct Member {
        var id: String
        var name: String
        var role: String
        var dob: String?
        var left: String?
    }

    static let withheldMark: JSONValue = "[withheld]"
    static let referrerReason =
        "Who made the referral: this is information about another person, given to us in confidence, and we do not"
        + " release it without their consent."
    static let sourceReason =
        "Another organisation's reference for the record in its own system: it identifies their record, not"
        + " information about your family."
    static let otherPersonReason =
        "This names someone who is not a member of your family: information about other people is not released."

    /// The page, `index.html`.
    public let html: String
    /// The events, `events.json`.
    public let json: [UInt8]
    /// Everything withheld, in log order.
    public let withheld: [Withholding]

    /// The bundle of `family` from its events in log order. `workers` and `systems` name the actors (by id);
    /// `producedAt` is when it was made.
    public init(
        family: String, events: [Event], workers: [String: Actor], systems: [String: Actor],
        producedAt: Timestamp
    ) {
        let members = Self.members(events)
        let memberIDs = Set(members.map(\.id))
        // Someone who has left the family is, after their leaving, a member of another family as far as its
        // record goes (a child moved to a relative's care): what is recorded of them after it is withheld.
        let leavers = members.compactMap { member in member.left.map { (member.id, $0) } }
        func present(on occurredAt: String) -> Set<String> {
            var present = memberIDs
            // By the day (an occurredAt may carry a time): the leaving day's own events are the family's.
            for (id, left) in leavers where left.prefix(10) < occurredAt.prefix(10) {
                present.remove(id)
            }
            return present
        }
        var book = TimelineBook(only: family, workerNames: workers.mapValues(\.name))
        let dates = Dictionary(
            events.map { ($0.event.seq, $0.event.occurredAt) },
            uniquingKeysWith: { first, _ in first })
        var withheld: [Withholding] = []
        var rows: [JSONObject] = []
        var entries:
            [(entry: TimelineEntry, redacted: JSONObject?, withheld: Bool, details: [String])] = []
        for item in events {
            var event = item.event
            var held: [Withholding] = []
            var data = JSONObject()
            if item.redacted == nil {
                let membersThen = present(on: event.occurredAt)
                data = Self.withhold(
                    event.data.object, seq: event.seq, path: "data", members: membersThen,
                    into: &held)
                event.data = EventData(data)
                // Each correction's original, where events.json keeps it: `corrected[N].originalData`.
                var correction = 0
                for index in event.amendments.indices
                where event.amendments[index].kind == .corrected {
                    defer { correction += 1 }
                    guard let original = event.amendments[index].original else { continue }
                    let path = "corrected[\(correction)].originalData"
                    event.amendments[index].original = EventData(
                        Self.withhold(
                            original.object, seq: event.seq, path: path, members: membersThen,
                            into: &held))
                }
            } else {
                event.data = .empty
                event.amendments = event.amendments.filter { $0.kind == .voided }
            }
            var source = item.source
            if source?["ref"] != nil {
                source?["ref"] = Self.withheldMark
                held.append(
                    Withholding(seq: event.seq, field: "source.ref", reason: Self.sourceReason))
            }
            guard var entry = book.entry(for: event)?.entry else { continue }
            var row = entry.row
            if let notice = item.redacted {
                entry.text = Self.removedSentence(notice)
                entry.corrections = []
                row["text"] = .string(entry.text)
                row["corrected"] = nil
                row["redacted"] = .object(
                    JSONObject(
                        ["on", "reason"].compactMap { key in notice[key].map { JSONMember(key, $0) }
                        }))
            } else {
                row["data"] = .object(data)
                if var corrected = row["corrected"]?.arrayValue {
                    let originals = event.amendments.filter { $0.kind == .corrected }
                    for index in corrected.indices where index < originals.count {
                        guard var object = corrected[index].objectValue else { continue }
                        object["originalData"] = .object(
                            originals[index].original?.object ?? JSONObject())
                        corrected[index] = .object(object)
                    }
                    row["corrected"] = .array(corrected)
                }
            }
            if let source { row["source"] = .object(source) }
            if !held.isEmpty { row["withheld"] = .array(held.map { .string($0.field) }) }
            rows.append(row)
            // Everything the event holds, in words, beside its sentence (the page is the whole record: an
            // assessment's worries, a plan's actions, a closure's summary), after what is withheld.
            let details = item.redacted == nil && entry.void == nil ? Self.details(of: data) : []
            entries.append((entry, item.redacted, !held.isEmpty, details))
            withheld += held
        }
        self.withheld = withheld
        let staff = Self.staff(events, workers: workers, systems: systems)

        var document = JSONObject()
        document["family"] = .string(family)
        document["producedAt"] = .string(producedAt.rfc3339)
        document["members"] = .array(
            members.map { member in
                var object = JSONObject([
                    JSONMember("id", .string(member.id)), JSONMember("name", .string(member.name)),
                    JSONMember("role", .string(member.role)),
                ])
                if let dob = member.dob { object["dob"] = .string(dob) }
                if let left = member.left { object["left"] = .string(left) }
                return .object(object)
            })
        document["staff"] = .array(
            staff.people.map { person in
                .object(
                    JSONObject([
                        JSONMember("id", .string(person.id)),
                        JSONMember("name", .string(person.name)),
                        JSONMember("role", .string(person.role)),
                    ]))
            })
        document["events"] = .array(rows.map(JSONValue.object))
        document["withheld"] = .array(
            withheld.map { item in
                .object(
                    JSONObject([
                        JSONMember("seq", .int(item.seq)), JSONMember("field", .string(item.field)),
                        JSONMember("reason", .string(item.reason)),
                    ]))
            })
        json = Self.safeJSON(.object(document))
        html = Self.page(
            family: family, producedAt: producedAt, members: members, staff: staff,
            entries: entries, dates: dates,
            withheld: withheld, events: events)
    }

    // MARK: What is held

    /// The family's members as the record now stands: from its referrals and members added (corrections applied;
    /// voided and redacted events left out), with when any left.
    static func members(_ events: [Event]) -> [Member] {
        var order: [String] = []
        var byID: [String: Member] = [:]
        func add(_ member: FamilyMember) {
            if byID[member.id] == nil { order.append(member.id) }
            byID[member.id] = Member(
                id: member.id, name: member.name, role: member.role,
                dob: member.dob?.description, left: nil)
        }
        for item in events where item.redacted == nil && !item.event.isVoided {
            switch item.event.typed {
            case .referralReceived(let payload):
                for member in payload.decoded?.members ?? [] { add(member) }
            case .familyMemberAdded(let payload):
                if let added = payload.decoded { add(added.member) }
            case .familyMemberLeft(let payload):
                if let id = payload.decoded?.memberId, byID[id] != nil {
                    byID[id]?.left = item.event.occurredAt
                }
            case .policyAdopted, .teamDefined, .workerRegistered, .workerChanged, .workerLeft,
                .systemRegistered, .systemRetired, .ufrnAssigned, .triageCompleted,
                .allocationDiscussed, .workerAllocated, .workerUnallocated, .referrerContacted,
                .contactAttempted, .consentRecorded, .engagementStarted, .visitCompleted,
                .meetingAttended, .noteRecorded, .supervisionRecorded, .concernRaised,
                .requirementMet, .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed,
                .reviewCompleted, .caseSummaryCompleted, .extensionAgreed, .levelChanged,
                .stepupRequested, .stepupDecided, .transferCompleted, .closureApproved, .caseClosed,
                .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded, .employmentRecorded,
                .pbrClaimed, .eventCorrected, .eventVoided, .holdPlaced, .holdLifted,
                .recordRedacted, .unknown:
                break
            }
        }
        return order.compactMap { byID[$0] }
    }

    /// `data` with the third-party information in it replaced by "[withheld]", each withholding added to `held`.
    static func withhold(
        _ data: JSONObject, seq: Int, path: String, members: Set<String>,
        into held: inout [Withholding]
    )
        -> JSONObject
    {
        var data = data
        func hold(_ field: String, _ reason: String) {
            held.append(Withholding(seq: seq, field: "\(path).\(field)", reason: reason))
        }
        if data["referrer"] != nil {
            data["referrer"] = withheldMark
            hold("referrer", referrerReason)
        }
        if let id = data["memberId"]?.stringValue, !members.contains(id) {
            data["memberId"] = withheldMark
            hold("memberId", otherPersonReason)
        }
        if let seen = data["childrenSeen"]?.arrayValue {
            let kept = seen.map {
                $0.stringValue.map(members.contains) == false ? withheldMark : $0
            }
            if kept != seen {
                data["childrenSeen"] = .array(kept)
                hold("childrenSeen", otherPersonReason)
            }
        }
        if let id = data["member"]?.objectValue?["id"]?.stringValue, !members.contains(id) {
            data["member"] = withheldMark
            hold("member", otherPersonReason)
        }
        if let list = data["members"]?.arrayValue {
            let kept = list.map { item in
                item.objectValue?["id"]?.stringValue.map(members.contains) == false
                    ? withheldMark : item
            }
            if kept != list {
                data["members"] = .array(kept)
                hold("members", otherPersonReason)
            }
        }
        // A correction carries its target's new data: the same information, withheld the same way.
        if let inner = data["data"]?.objectValue {
            data["data"] = .object(
                withhold(inner, seq: seq, path: "\(path).data", members: members, into: &held))
        }
        return data
    }

    /// Who worked with the family: the people who recorded its events or were allocated to it (named in their
    /// role), and the systems its information came from.
    static func staff(_ events: [Event], workers: [String: Actor], systems: [String: Actor])
        -> (
            people: [(id: String, name: String, role: String)],
            systems: [(id: String, name: String)]
        )
    {
        var people: [(id: String, name: String, role: String)] = []
        var seenPeople: Set<String> = []
        var fromSystems: [(id: String, name: String)] = []
        var seenSystems: Set<String> = []
        func person(_ id: String, role: String?) {
            guard !seenPeople.contains(id) else { return }
            seenPeople.insert(id)
            let known = workers[id]
            people.append((id, known?.name ?? id, role ?? known?.role ?? ""))
        }
        for item in events {
            let event = item.event
            if event.actorRole == "system" {
                if !seenSystems.contains(event.actorID) {
                    seenSystems.insert(event.actorID)
                    fromSystems.append(
                        (event.actorID, systems[event.actorID]?.name ?? event.actorID))
                }
            } else {
                person(event.actorID, role: workers[event.actorID]?.role ?? event.actorRole)
            }
            if item.redacted == nil, case .workerAllocated(let payload) = event.typed,
                let allocated = payload.decoded
            {
                person(allocated.worker, role: nil)
            }
        }
        return (people, fromSystems)
    }

    /// An event's data as lines of words ("Impact on children: …", "Actions 1, what: …"), every member and every
    /// nested one, so that nothing held is missing from the page.
    static func details(of data: JSONObject) -> [String] {
        var lines: [String] = []
        func words(_ key: String) -> String {
            var out = ""
            for character in key {
                if character.isUppercase {
                    out += " " + character.lowercased()
                } else {
                    out.append(character)
                }
            }
            return out.prefix(1).uppercased() + out.dropFirst()
        }
        func walk(_ value: JSONValue, _ label: String) {
            if let object = value.objectValue {
                for member in object.members {
                    walk(
                        member.value,
                        label.isEmpty
                            ? words(member.key) : "\(label), \(words(member.key).lowercased())")
                }
            } else if let items = value.arrayValue {
                if items.allSatisfy({ $0.objectValue == nil && $0.arrayValue == nil }) {
                    let text = items.map(Self.scalarText).joined(separator: ", ")
                    if !text.isEmpty { lines.append("\(label): \(text)") }
                } else {
                    for (index, item) in items.enumerated() { walk(item, "\(label) \(index + 1)") }
                }
            } else {
                let text = Self.scalarText(value)
                if !text.isEmpty { lines.append("\(label): \(text)") }
            }
        }
        // The members are listed, with their dates of birth, under "Your family".
        walk(.object(JSONObject(data.members.filter { $0.key != "members" })), "")
        return lines
    }

    static func scalarText(_ value: JSONValue) -> String {
        if let text = value.stringValue { return text }
        if let flag = value.boolValue { return flag ? "yes" : "no" }
        return JSONWriter.string(value)
    }

    static func removedSentence(_ notice: JSONObject) -> String {
        let on = notice["on"]?.stringValue ?? "an unknown date"
        let reason = notice["reason"]?.stringValue ?? ""
        let plain = [
            "retention-ended": "the period we keep such records for ended",
            "wrong-family": "it had been recorded on the wrong family",
        ][reason]
        return "Removed on \(plain == nil ? on : readableDate(on)): \(plain ?? reason)"
    }

    // MARK: JSON

    /// The compact JSON of `value`, with `<`, `>` and `&` written as `\u003c`, `\u003e`, `\u0026` (they occur only
    /// inside strings), so the file stays inert even where something takes it for HTML.
    static func safeJSON(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        for byte in JSONWriter.bytes(value) {
            switch byte {
            case UInt8(ascii: "<"): out.append(contentsOf: "\\u003c".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "\\u003e".utf8)
            case UInt8(ascii: "&"): out.append(contentsOf: "\\u0026".utf8)
            default: out.append(byte)
            }
        }
        out.append(0x0A)
        return out
    }

    // MARK: The page

    static let style = """
        @page{size:A4;margin:18mm 16mm}
        *{box-sizing:border-box}body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1f24;background:#fff;margin:0}
        header,main,footer{max-width:48rem;margin:0 auto;padding:0 1rem}header{border-bottom:3px solid #1d5fa8;padding-top:1rem}
        h1{font-size:1.6rem;margin:.2rem 0 .6rem}h2{font-size:1.25rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #d5dae0}
        p.meta,.recorded{color:#5b6470}table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}
        th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d5dae0;vertical-align:top}th{background:#f3f5f7;font-weight:600}
        del{color:#5b6470}.why{display:block;font-size:.9rem;color:#8a3b00}.removed{font-style:italic}.details{margin:.2rem 0 0;padding-left:1.1rem;font-size:.9rem}.note{display:block;font-size:.9rem;color:#5b6470}
        @media print{body{font-size:11pt}header{border-color:#000}tr,li{break-inside:avoid}thead{display:table-header-group}a{color:inherit}}
        """

    /// The content security policy: nothing may load or run; only this page's own style (by its hash) applies.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'sha256-\(base64(SHA256.hash(Array(style.utf8))))'; img-src 'none'; base-uri 'none'; form-action 'none'"

    static func page(
        family: String, producedAt: Timestamp, members: [Member],
        staff: (
            people: [(id: String, name: String, role: String)],
            systems: [(id: String, name: String)]
        ),
        entries: [(entry: TimelineEntry, redacted: JSONObject?, withheld: Bool, details: [String])],
        dates: [Int: String],
        withheld: [Withholding], events: [Event]
    ) -> String {
        let escape = HTML.escape
        var out = """
            <!doctype html>
            <html lang="en-GB">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="\(escape(contentSecurityPolicy))">
            <meta name="referrer" content="no-referrer">
            <title>Your family's record (\(escape(family)))</title>
            <style>\(style)</style>
            </head>
            <body>
            <header><h1>The record we hold about your family</h1>
            <p class="meta">Family reference \(escape(family)) · produced on \(readableDate(producedAt.utcDate.description))</p></header>
            <main>
            <section aria-labelledby="about"><h2 id="about">About this record</h2>
            <p>This is everything the Early Help service's case record holds about your family, in the order it happened.
            Where something was corrected, the words first written are shown crossed out, with why it was corrected.
            Where something was written by mistake, it is crossed out and marked as entered in error.
            A few details about other people have been left out; the last section says which, and why.</p>
            <p>A copy of the same information for computers is in the file <code>events.json</code> beside this page.</p>
            </section>

            """
        out += "<section aria-labelledby=\"family\"><h2 id=\"family\">Your family</h2>"
        if members.isEmpty {
            out += "<p>No family members are recorded.</p>"
        } else {
            out += "<ul>"
            for member in members {
                var text = escape(member.name.isEmpty ? "(no name recorded)" : member.name)
                var facts = [escape(member.role)]
                if let dob = member.dob { facts.append("born \(escape(readableDate(dob)))") }
                if let left = member.left {
                    facts.append("left the family on \(escape(readableDate(left)))")
                }
                text += " (\(facts.joined(separator: ", ")))"
                out += "<li>\(text)</li>"
            }
            out += "</ul>"
        }
        out += "</section>\n"

        out += "<section aria-labelledby=\"staff\"><h2 id=\"staff\">Who worked with you</h2>"
        if staff.people.isEmpty {
            out += "<p>No member of staff is recorded.</p>"
        } else {
            out += "<ul>"
            for person in staff.people {
                out += "<li>\(escape(person.name)), \(escape(roleDescription(person.role)))</li>"
            }
            out += "</ul>"
        }
        if !staff.systems.isEmpty {
            out +=
                "<p>Some information came from other systems: \(staff.systems.map { escape($0.name) }.joined(separator: ", ")).</p>"
        }
        out += "</section>\n"

        out += "<section aria-labelledby=\"events\"><h2 id=\"events\">What happened, in order</h2>"
        out +=
            "<table><thead><tr><th scope=\"col\">No.</th><th scope=\"col\">When</th><th scope=\"col\">What happened</th></tr></thead><tbody>\n"
        for (entry, redacted, held, details) in entries {
            out += "<tr><td>\(entry.seq)</td><td>\(escape(readableDate(entry.occurredAt)))</td><td>"
            if redacted != nil {
                out += "<span class=\"removed\">\(escape(entry.text))</span>"
            } else if let void = entry.void {
                out += "<del>\(escape(entry.text))</del><span class=\"why\">Entered in error"
                out +=
                    "\(dates[void.seq].map { " (noted on \(escape(readableDate($0))))" } ?? ""): \(escape(void.reason))</span>"
            } else {
                for correction in entry.corrections {
                    out += "<del>\(escape(correction.original))</del><span class=\"why\">Corrected"
                    out +=
                        "\(dates[correction.seq].map { " on \(escape(readableDate($0)))" } ?? ""): \(escape(correction.reason))</span>"
                }
                out += escape(entry.text)
            }
            if !details.isEmpty {
                out +=
                    "<ul class=\"details\">" + details.map { "<li>\(escape($0))</li>" }.joined()
                    + "</ul>"
            }
            if held { out += "<span class=\"note\">Some details are withheld (see below).</span>" }
            out += "</td></tr>\n"
        }
        out += "</tbody></table></section>\n"

        out +=
            "<section aria-labelledby=\"withheld\"><h2 id=\"withheld\">What we have withheld, and why</h2>"
        if withheld.isEmpty {
            out += "<p>Nothing has been withheld.</p>"
        } else {
            out +=
                "<table><thead><tr><th scope=\"col\">No.</th><th scope=\"col\">What</th><th scope=\"col\">Why</th></tr></thead><tbody>\n"
            for item in withheld {
                out +=
                    "<tr><td>\(item.seq)</td><td>\(escape(fieldDescription(item.field)))</td><td>\(escape(item.reason))</td></tr>\n"
            }
            out += "</tbody></table>"
        }
        out += "</section>\n</main>\n"
        out +=
            "<footer><p class=\"meta\">Produced from the case ledger on \(escape(producedAt.rfc3339)). If anything here is wrong, tell us: you have the right to ask for it to be corrected.</p></footer>\n</body>\n</html>\n"
        return out
    }

    /// A withheld field in words.
    static func fieldDescription(_ field: String) -> String {
        let names = [
            "referrer": "the name and organisation of the person who made the referral",
            "source.ref": "another organisation's reference number",
            "memberId": "a person named in this entry",
            "childrenSeen": "a child named in this entry", "member": "a person named in this entry",
            "members": "people named in this entry",
        ]
        let last = field == "source.ref" ? field : String(field.split(separator: ".").last ?? "")
        let before = field.hasPrefix("corrected[") ? " (in the words first written)" : ""
        return (names[last] ?? field) + before
    }

    static let roleDescriptions = [
        "fsw": "family support worker", "fow": "family outreach worker",
        "youth-worker": "youth worker",
        "parenting-worker": "parenting worker", "social-worker": "social worker",
        "fs-coordinator": "family support co-ordinator",
        "team-leader": "team leader", "senior-fow": "senior family outreach worker",
        "team-manager": "team manager",
        "operations-manager": "operations manager", "business-support": "business support officer",
        "early-help-officer": "early help officer",
    ]

    static func roleDescription(_ role: String) -> String {
        roleDescriptions[role] ?? Sentence.roleName(role)
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ]

    /// "3 November 2026" for a date or a date-time's date; the text as it is when it is neither.
    static func readableDate(_ text: String) -> String {
        guard let date = CivilDate(text.prefix(10)) else { return text }
        return "\(date.day) \(monthNames[date.month - 1]) \(date.year)"
    }

    /// Standard base64 of a digest's 32 bytes (for the content security policy's hash source).
    static func base64(_ digest: SHA256.Digest) -> String {
        let words = digest.words
        var bytes: [UInt8] = []
        for word in [words.0, words.1, words.2, words.3, words.4, words.5, words.6, words.7] {
            bytes += [
                UInt8(word >> 24), UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF),
                UInt8(word & 0xFF),
            ]
        }
        let alphabet = Array(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let value = chunk.enumerated().reduce(UInt32(0)) {
                $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset))
            }
            for position in 0..<4 {
                out.append(
                    position <= chunk.count
                        ? alphabet[Int(value >> (18 - 6 * UInt32(position)) & 0x3F)]
                        : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
