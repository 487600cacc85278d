#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore

/// The contract's checks of an event (EVENTS.md §1–§5: ids, types, streams, dates, actor, source, the catalogue's
/// `data` schema and the type rules) made on the bytes of a stored line, without building a value: how
/// `ledger verify` re-validates a million events at the speed it reads them.
///
/// One-sided, like the line scanner: it either passes an event, and then `EventInput.validate` passes it too
/// (the tests check this on every fixture and on fuzzed events), or it declines, and the caller asks
/// `EventInput.validate`, which passes the event or names the rule it breaks. It declines whenever the bytes
/// need decoding to be judged exactly (escapes or non-ASCII where a value is compared, numbers that are not
/// plain integers, a policy document), and whenever a rule fails: refusals are rare, and their wording is the
/// reference's.
public enum InPlaceValidation {
    /// The facts of the event on `line` (starting at `start` of `chunk`), which the scanner accepted, when it
    /// passes every check in place; nil when the caller must ask `EventInput.validate`. `recordedOn` is the
    /// London date of `recordedAt` (the caller remembers it: a batch shares one).
    public static func facts(
        _ scanned: ScannedLine, line: UnsafeBufferPointer<UInt8>, chunk: LogChunk, start: Int,
        recordedAt: Timestamp,
        recordedOn: CivilDate
    ) -> EventFacts? {
        guard scanned.version == 1, let data = scanned.data else { return nil }
        return facts(
            Members(
                id: scanned.id, stream: scanned.stream, type: scanned.type,
                occurredAt: scanned.occurredAt,
                actor: scanned.actor, actorID: scanned.actorID, actorRole: scanned.actorRole,
                source: scanned.source,
                data: data),
            line: line, chunk: chunk, start: start, recordedAt: recordedAt, recordedOn: recordedOn)
    }

    /// The facts of a writer's event on `line` (starting at `start` of `chunk`), which `scanWriter` accepted, when
    /// it passes every check `EventInput.parse` makes; nil when the caller must ask `EventInput.parse`, which
    /// passes it or names the rule it breaks. An event without an id gets one in order, later: its facts carry
    /// an empty id until then.
    public static func facts(
        _ written: WriterLine, line: UnsafeBufferPointer<UInt8>, chunk: LogChunk, start: Int,
        recordedAt: Timestamp,
        recordedOn: CivilDate
    ) -> EventFacts? {
        guard (written.version ?? 1) == 1 else { return nil }
        return facts(
            Members(
                id: written.id, stream: written.stream, type: written.type,
                occurredAt: written.occurredAt,
                actor: written.actor, actorID: written.actorID, actorRole: written.actorRole,
                source: written.source,
                data: written.data),
            line: line, chunk: chunk, start: start, recordedAt: recordedAt, recordedOn: recordedOn)
    }

    /// Where an event's members are on its line, stored or as written.
    struct Members {
        var id: Range<Int>?
        var stream: Range<Int>
        var type: Range<Int>
        var occurredAt: Range<Int>
        var actor: Range<Int>
        var actorID: Range<Int>
        var actorRole: Range<Int>
        var source: Range<Int>?
        var data: Range<Int>
    }

    private static func facts(
        _ members: Members, line: UnsafeBufferPointer<UInt8>, chunk: LogChunk, start: Int,
        recordedAt: Timestamp,
        recordedOn: CivilDate
    ) -> EventFacts? {
        func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: line[range])
        }
        guard members.id.map({ Grammar.isEventID(bytes($0)) }) ?? true,
            let typeIndex = EventTypeSet.all.index(of: bytes(members.type)),
            let eventType = catalogue[typeIndex],
            let streamKind = Grammar.streamKind(bytes(members.stream)),
            eventType.stream.admits(streamKind),
            let occurred = OccurredAt(utf8: bytes(members.occurredAt)),
            let earliest = EventInput.earliest, occurred.date >= earliest,
            occurred.instant.map({ $0 <= recordedAt }) ?? (occurred.date <= recordedOn),
            actorPasses(
                bytes(members.actor), id: bytes(members.actorID), role: bytes(members.actorRole)),
            members.source.map({ sourcePasses(bytes($0)) }) ?? true
        else { return nil }
        let object = bytes(members.data)
        guard Schema.objectPasses(object, eventType.fields),
            TypeRulesInPlace.pass(eventType, object)
        else { return nil }
        let stream = bytes(members.stream)
        return EventFacts(
            id: "", idSpan: members.id.map { (start + $0.lowerBound)..<(start + $0.upperBound) },
            idSupplied: members.id != nil,
            stream: String(decoding: stream, as: UTF8.self), streamKind: streamKind,
            streamKey: streamKind == .org
                ? "org"
                : String(decoding: UnsafeBufferPointer(rebasing: stream[7...]), as: UTF8.self),
            type: eventType.name, kind: EventKind.byCatalogueIndex[typeIndex], occurred: occurred,
            actorID: String(scanned: line, members.actorID),
            actorRole: String(scanned: line, members.actorRole),
            data: EventData(
                chunk: chunk,
                range: (start + members.data.lowerBound)..<(start + members.data.upperBound)))
    }

    /// The catalogue's entries in `EventTypeSet.all` order.
    static let catalogue: [EventType?] = EventTypeSet.all.names.map { Catalogue.types[$0] }

    /// `actor` is exactly `{id, role}` (in either order), a reference and a known role. `id` and `role` are the
    /// contents of its `id` and `role` members' plain string values.
    static func actorPasses(
        _ actor: UnsafeBufferPointer<UInt8>, id: UnsafeBufferPointer<UInt8>,
        role: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        // `{"id":"…","role":"…"}` in either order is the two members' bytes, two braces and a comma: a third
        // member, a repeated one or a space would add bytes. Only an actor written otherwise is walked.
        if actor.count != id.count + role.count + 19 {
            var members = 0
            guard
                ScannedObject.forEachMember(
                    in: actor,
                    { _, _ in
                        members += 1
                        return true
                    }), members == 2
            else { return false }
        }
        return Grammar.isReference(id) && Schema.isOneOf(role, EventInput.roles)
    }

    /// `source` is `{system, ref, recordedAt?}`: texts, the last an RFC 3339 date-time.
    static func sourcePasses(_ source: UnsafeBufferPointer<UInt8>) -> Bool {
        guard Schema.objectPasses(source, EventInput.sourceFields) else { return false }
        var valid = true
        _ = ScannedObject.forEachMember(in: source) { name, value in
            if Schema.equals(UnsafeBufferPointer(rebasing: source[name]), "recordedAt") {
                valid =
                    Schema.plainContents(UnsafeBufferPointer(rebasing: source[value])).flatMap {
                        Timestamp(rfc3339UTF8: $0)
                    } != nil
            }
            return true
        }
        return valid
    }

    /// The identifier grammars of EVENTS.md §1, on bytes.
    enum Grammar {
        static func isEventID(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            (1...128).contains(bytes.count)
                && bytes.allSatisfy { isWord($0) || $0 == UInt8(ascii: ":") }
        }

        static func isReference(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            (1...64).contains(bytes.count) && bytes.allSatisfy(isWord)
        }

        static func isWord(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
                || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
        }

        static func streamKind(_ stream: UnsafeBufferPointer<UInt8>) -> StreamKind? {
            if Schema.equals(stream, "org") { return .org }
            guard stream.count > 7 else { return nil }
            let rest = UnsafeBufferPointer(rebasing: stream[7...])
            if Schema.startsWith(stream, "family:"), isReference(rest) { return .family }
            if Schema.startsWith(stream, "worker:"), isReference(rest) { return .worker }
            if Schema.startsWith(stream, "system:"), isReference(rest) { return .system }
            return nil
        }
    }

    /// `SchemaChecker`'s rules on bytes: true only when the value certainly passes.
    enum Schema {
        static func objectPasses(_ object: UnsafeBufferPointer<UInt8>, _ fields: [Field]) -> Bool {
            guard object.first == UInt8(ascii: "{"), fields.count <= 64 else { return false }
            var present: UInt64 = 0
            // Members are written in the order the catalogue declares them: each name is looked for from the field
            // after the last one found, round to it.
            var next = 0
            // The fields are read where they lie: a field copied out retains its name and its kind's box, and the
            // catalogue is shared by every core.
            let complete = fields.withUnsafeBufferPointer { fields in
                ScannedObject.forEachMember(in: object) { name, value in
                    let nameBytes = UnsafeBufferPointer(rebasing: object[name])
                    var index = next
                    var tried = 0
                    while tried < fields.count {
                        if index == fields.count { index = 0 }
                        if equals(nameBytes, fields[index].name) { break }
                        index += 1
                        tried += 1
                    }
                    guard tried < fields.count else { return false }
                    present |= 1 << UInt64(index)
                    next = index + 1
                    return passes(UnsafeBufferPointer(rebasing: object[value]), fields[index].kind)
                }
            }
            guard complete else { return false }
            for (index, field) in fields.enumerated()
            where field.required && present & (1 << UInt64(index)) == 0 {
                return false
            }
            return true
        }

        static func passes(_ value: UnsafeBufferPointer<UInt8>, _ kind: FieldKind) -> Bool {
            switch kind {
            case .text:
                return textPasses(value)
            case .oneOf(let allowed):
                return isOneOf(plainContents(value), allowed)
            case .date:
                return plainContents(value).flatMap { CivilDate(utf8: $0) } != nil
            case .bool:
                return equals(value, "true") || equals(value, "false")
            case .integer(let range):
                return integer(value).map(range.contains) ?? false
            case .number(let range):
                return number(value).map { NumberLiteral.within(value, $0, range) } ?? false
            case .numberAbove(let lower, let upper):
                return number(value).map { NumberLiteral.above(value, $0, lower, atMost: upper) }
                    ?? false
            case .reference:
                return plainContents(value).map(Grammar.isReference) ?? false
            case .object(let fields):
                return objectPasses(value, fields)
            case .anyObject:
                return value.first == UInt8(ascii: "{")
            case .list(let element, let minimum):
                var count = 0
                let all = ScannedObject.forEachItem(in: value) { item in
                    count += 1
                    return passes(UnsafeBufferPointer(rebasing: value[item]), element)
                }
                return all && count >= minimum
            case .code(let lengths):
                return plainContents(value).map {
                    Identifiers.isUppercaseCode($0, lengths: lengths)
                } ?? false
            case .textOrList:
                if value.first == UInt8(ascii: "[") {
                    return ScannedObject.forEachItem(in: value) {
                        textPasses(UnsafeBufferPointer(rebasing: value[$0]))
                    }
                }
                return textPasses(value)
            }
        }

        /// A non-empty string of at most `SchemaChecker.maxTextLength` bytes once decoded (escapes only shorten).
        static func textPasses(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
            value.count > 2 && value.first == UInt8(ascii: "\"")
                && value.count - 2 <= SchemaChecker.maxTextLength
        }

        /// The contents of a string value with no escape and nothing but ASCII (compared byte for byte, they mean
        /// what the reference's `String` comparison means); nil otherwise.
        static func plainContents(_ value: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<
            UInt8
        >? {
            guard value.count >= 2, value.first == UInt8(ascii: "\""),
                value.last == UInt8(ascii: "\"")
            else { return nil }
            let contents = UnsafeBufferPointer(rebasing: value[1..<(value.count - 1)])
            guard contents.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "\\") }) else { return nil }
            return contents
        }

        static func isOneOf(_ contents: UnsafeBufferPointer<UInt8>?, _ allowed: [String]) -> Bool {
            guard let contents else { return false }
            return allowed.contains { equals(contents, $0) }
        }

        /// A plain integer (sign and digits only, as `Int(text)` reads one).
        static func integer(_ value: UnsafeBufferPointer<UInt8>) -> Int? {
            guard !value.isEmpty else { return nil }
            var index = 0
            var negative = false
            if value[0] == UInt8(ascii: "-") {
                negative = true
                index = 1
            }
            // Eighteen digits at most: no overflow; longer ones are left to the reference.
            guard index < value.count, value.count - index <= 18 else { return nil }
            var number = 0
            while index < value.count {
                let byte = value[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                number = number * 10 + Int(byte - 0x30)
                index += 1
            }
            return negative ? -number : number
        }

        static func number(_ value: UnsafeBufferPointer<UInt8>) -> Double? {
            guard let first = value.first,
                first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39)
            else { return nil }
            return Double(String(decoding: value, as: UTF8.self))
        }

        static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ text: String) -> Bool {
            let same = text.utf8.withContiguousStorageIfAvailable { stored in
                stored.count == bytes.count
                    && (bytes.isEmpty
                        || memcmp(
                            stored.baseAddress.unsafelyUnwrapped,
                            bytes.baseAddress.unsafelyUnwrapped, bytes.count) == 0)
            }
            return same ?? text.utf8.elementsEqual(bytes)
        }

        static func startsWith(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: String) -> Bool {
            let count = prefix.utf8.count
            return bytes.count >= count
                && equals(UnsafeBufferPointer(rebasing: bytes[0..<count]), prefix)
        }
    }
}

/// `TypeRule` on bytes: the second interpreter of the catalogue's declarations. True only when the data
/// certainly passes; false declines (the line goes to the reference, `TypeRules`, which judges it and words the
/// refusal). A whole policy document is always declined (it is read into a whole `Policy`).
enum TypeRulesInPlace {
    typealias Schema = InPlaceValidation.Schema

    static func pass(_ eventType: EventType, _ data: UnsafeBufferPointer<UInt8>) -> Bool {
        eventType.rules.allSatisfy { pass($0, data) }
    }

    static func pass(_ rule: TypeRule, _ data: UnsafeBufferPointer<UInt8>) -> Bool {
        switch rule {
        case .wholePolicy:
            return false
        case .notEmpty:
            var members = 0
            _ = ScannedObject.forEachMember(in: data) { _, _ in
                members += 1
                return true
            }
            return members > 0
        case .ordered(let object, let low, let high):
            guard let range = member(object, of: data) else { return true }
            let lower = member(low, of: range).flatMap(Schema.integer)
            let upper = member(high, of: range).flatMap(Schema.integer)
            guard let lower, let upper else {
                return member(low, of: range) == nil || member(high, of: range) == nil
            }
            return lower <= upper
        case .datesInOrder(let from, let to):
            guard
                let start = member(from, of: data).flatMap(Schema.plainContents).flatMap(
                    CivilDate.init(utf8:)),
                let end = member(to, of: data).flatMap(Schema.plainContents).flatMap(
                    CivilDate.init(utf8:))
            else { return member(from, of: data) == nil || member(to, of: data) == nil }
            return end >= start
        case .childAndUniqueIDs(let list):
            guard let members = member(list, of: data) else { return false }
            var child = false
            var ids: [UnsafeBufferPointer<UInt8>] = []
            let unique = ScannedObject.forEachItem(in: members) { item in
                let person = UnsafeBufferPointer(rebasing: members[item])
                if let role = member("role", of: person).flatMap(Schema.plainContents),
                    Schema.equals(role, "child")
                {
                    child = true
                }
                guard let id = member("id", of: person).flatMap(Schema.plainContents) else {
                    return false
                }
                guard !ids.contains(where: { $0.elementsEqual(id) }) else { return false }
                ids.append(id)
                return true
            }
            return unique && child
        case .timeBound(let list):
            guard let actions = member(list, of: data) else { return true }
            return ScannedObject.forEachItem(in: actions) { item in
                let action = UnsafeBufferPointer(rebasing: actions[item])
                return member("due", of: action) != nil || member("everyDays", of: action) != nil
            }
        case .ufrnShape(let name):
            guard let value = member(name, of: data) else { return true }
            guard let ufrn = Schema.plainContents(value) else { return false }
            return UFRN.isWellFormed(String(decoding: ufrn, as: UTF8.self))
        }
    }

    /// The value of member `name` of an object, if present.
    static func member(_ name: String, of object: UnsafeBufferPointer<UInt8>)
        -> UnsafeBufferPointer<UInt8>?
    {
        ScannedObject.valueRange(of: name, in: object).map {
            UnsafeBufferPointer(rebasing: object[$0])
        }
    }
}
