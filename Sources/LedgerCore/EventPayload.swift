import EventLog

/// The `data` of one event type as a struct of its own, with the type's entry in the catalogue
/// (`declaration`): its members, each with its schema and the property it decodes into, its stream, who may
/// record it and its rules. The validators read the catalogue's `EventType` made from the declaration, and the
/// readers decode the same declaration: a member is named once.
public protocol EventPayload: PayloadObject {
    /// The type's entry in the catalogue.
    static var declaration: EventDeclaration<Self> { get }
}

extension EventPayload {
    public static var members: PayloadMembers<Self> { declaration.members }

    /// The catalogue's entry, as the validators read it.
    public static var eventType: EventType { declaration.eventType }

    /// What an event of this type changes (`EventDeclaration.changes`).
    public static var changes: Set<StateChange> { declaration.changes }

    /// `data` decoded as this type's (nil: its content was redacted, or it does not decode).
    public static func decode(_ data: EventData) -> Self? { members.decode(data) }
}

/// An object in an event's `data` (a family member, a plan's action) or the `data` itself: its members.
public protocol PayloadObject: Sendable {
    /// The members, in the catalogue's order, and the value decoding starts from.
    static var members: PayloadMembers<Self> { get }
}

/// What an event can change in the state the read side keeps (the fold), declared with each type
/// (`EventDeclaration.changes`). Any type may also meet or start a policy's obligations: that is the policy's
/// to say, so it is not declared here, and a type that changes nothing else declares none.
public enum StateChange: Sendable, Hashable, CaseIterable {
    /// The policies in force.
    case policies
    /// Teams and workers: who they are, their team, hours and caseload limits.
    case workforce
    /// The systems registered to write (the write side's authority; the fold keeps nothing of them).
    case authority
    /// Who is in a family.
    case members
    /// A family's identifier and its payment-by-results evidence: UFRN, criteria, attendance, offences,
    /// employment, claims.
    case outcomes
    /// Opens or closes an episode.
    case episodes
    /// An episode's level of intervention.
    case levels
    /// Which workers are allocated to an episode, and who leads.
    case staffing
    /// The rest of an episode's journey: triage, engagement, contact, consent, assessments, plans, reviews,
    /// requirements met, step-ups, management oversight.
    case progress
    /// The record itself: corrections, voids, holds, redactions.
    case record
}

/// An event type's entry in the catalogue (EVENTS.md §3), declared once beside its struct.
public struct EventDeclaration<Payload: PayloadObject>: Sendable {
    /// The type's name, e.g. `visit.completed`.
    public let name: String
    /// The stream kind it must be on.
    public let stream: StreamKind
    /// Whether the actor must hold a manager role.
    public let managerOnly: Bool
    /// Whether it may be recorded on a family with no open episode (outcomes, notes, corrections).
    public let allowedWithoutEpisode: Bool
    /// The rules about its data that the schema alone cannot say.
    public let rules: [TypeRule]
    /// The `data` members.
    public let members: PayloadMembers<Payload>
    /// What an event of the type changes in the state the read side keeps, beyond obligations (a policy's rules
    /// may count any type): the folds feed a projection only the types that change what it reads.
    public let changes: Set<StateChange>

    /// A type named `name` on `stream`, changing `changes`, whose data decodes into `blank`'s type starting from
    /// `blank` (every member at a placeholder that decoding replaces).
    init(
        _ name: String, _ stream: StreamKind, changes: Set<StateChange>, blank: Payload,
        _ members: [PayloadMember<Payload>],
        manager: Bool = false, outcome: Bool = false, rules: [TypeRule] = []
    ) {
        self.name = name
        self.stream = stream
        self.changes = changes
        managerOnly = manager
        allowedWithoutEpisode = outcome
        self.rules = rules
        self.members = PayloadMembers(blank: blank, members)
    }

    /// The catalogue's entry, as the validators read it.
    public var eventType: EventType {
        EventType(
            name: name, stream: stream, fields: members.fields, managerOnly: managerOnly,
            allowedWithoutEpisode: allowedWithoutEpisode, rules: rules)
    }
}

/// The members of a payload object, and how an object of them decodes.
public struct PayloadMembers<Payload: Sendable>: Sendable {
    /// Every member at a placeholder, the value decoding starts from.
    let blank: Payload
    let table: MemberTable

    init(blank: Payload, _ list: [PayloadMember<Payload>]) {
        self.blank = blank
        table = MemberTable(list.map(\.erased))
    }

    /// The schema of each member, in order.
    public var fields: [Field] { table.fields }

    /// The object decoded, or nil when a required member is missing or not of its kind (the event's content was
    /// redacted, or the log was damaged). An optional member that is not of its kind is taken as absent, and a
    /// list's item that is not of its kind is left out; members the declaration does not name are ignored.
    public func decode(_ data: EventData) -> Payload? {
        switch data.storage {
        case .object(let object): decode(object)
        case .view(let chunk, let range): decode(scanned: chunk.bytes(range))
        }
    }

    /// Decodes an object held in memory.
    func decode(_ object: JSONObject) -> Payload? {
        var value = blank
        let decoded = withUnsafeMutablePointer(to: &value) {
            table.fill(UnsafeMutableRawPointer($0), from: object)
        }
        return decoded ? value : nil
    }

    /// Decodes the bytes of an object that `LineScanner` accepted, where they are.
    func decode(scanned object: UnsafeBufferPointer<UInt8>) -> Payload? {
        var value = blank
        let filled = withUnsafeMutablePointer(to: &value) {
            table.fill(UnsafeMutableRawPointer($0), scanned: object)
        }
        switch filled {
        case .decoded: return value
        case .refused: return nil
        // A member name with escapes is not read in place: the object is built and decoded.
        case .notInPlace: return JSONValue(scanned: object).objectValue.flatMap(decode)
        }
    }
}

/// A payload object's members and their decoders, with the type left out: the loop over an object's members
/// is one piece of code for every type (generic code called across modules runs unspecialised, looking up its
/// types as it goes, which cost a third of a fold), and each member's decoder, made for its type, writes its
/// value where its property is.
final class MemberTable: Sendable {
    let fields: [Field]
    let members: [ErasedMember]
    let requiredCount: Int

    init(_ members: [ErasedMember]) {
        self.members = members
        fields = members.map(\.field)
        requiredCount = members.count { $0.field.required }
    }

    enum Filled {
        case decoded, refused, notInPlace
    }

    /// Decodes `object`'s members into the payload at `payload` (already holding its placeholders).
    func fill(_ payload: UnsafeMutableRawPointer, scanned object: UnsafeBufferPointer<UInt8>)
        -> Filled
    {
        var required = 0
        var refused = false
        let whole = members.withUnsafeBufferPointer { members in
            ScannedObject.forEachMember(in: object) { name, range in
                let key = UnsafeBufferPointer(rebasing: object[name])
                guard let declared = members.firstIndex(where: { $0.isNamed(key) }) else {
                    return true
                }
                let bytes = UnsafeBufferPointer(rebasing: object[range])
                if bytes.first == UInt8(ascii: "n") { return true }  // null: absent
                if members[declared].fromBytes(payload, bytes) {
                    if members[declared].field.required { required += 1 }
                } else if members[declared].field.required {
                    refused = true
                    return false
                }
                return true
            }
        }
        if refused { return .refused }
        guard whole else { return .notInPlace }
        return required == requiredCount ? .decoded : .refused
    }

    /// Decodes the members of an object held in memory into the payload at `payload`.
    func fill(_ payload: UnsafeMutableRawPointer, from object: JSONObject) -> Bool {
        var required = 0
        for member in object.members {
            guard let declared = members.first(where: { $0.field.name == member.key }) else {
                continue
            }
            if case .null = member.value { continue }
            if declared.fromJSON(payload, member.value) {
                if declared.field.required { required += 1 }
            } else if declared.field.required {
                return false
            }
        }
        return required == requiredCount
    }
}

/// One member's name, schema and decoders, which write into a payload given by its address.
struct ErasedMember: Sendable {
    let field: Field
    let name: [UInt8]
    let fromBytes: @Sendable (UnsafeMutableRawPointer, UnsafeBufferPointer<UInt8>) -> Bool
    let fromJSON: @Sendable (UnsafeMutableRawPointer, JSONValue) -> Bool

    func isNamed(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard key.count == name.count else { return false }
        for index in key.indices where key[index] != name[index] { return false }
        return true
    }
}

/// One member of a payload object: its schema and the property it decodes into.
public struct PayloadMember<Payload>: Sendable {
    let erased: ErasedMember

    /// A required member: it must be there, as `kind` says, and decodes into `path`.
    static func member<Value>(
        _ name: String, _ kind: ValueKind<Value>,
        _ path: any WritableKeyPath<Payload, Value> & Sendable
    ) -> Self {
        member(.required(name, kind.schema), kind, store: store(into: path))
    }

    /// An optional member (the property is optional): absent, it stays nil.
    static func member<Value>(
        _ name: String, _ kind: ValueKind<Value>,
        _ path: any WritableKeyPath<Payload, Value?> & Sendable
    ) -> Self {
        let store = store(into: path)
        return member(.optional(name, kind.schema), kind) { store($0, $1) }
    }

    private static func member<Value>(
        _ field: Field, _ kind: ValueKind<Value>,
        store: @escaping @Sendable (UnsafeMutableRawPointer, Value) -> Void
    ) -> Self {
        PayloadMember(
            erased: ErasedMember(
                field: field, name: Array(field.name.utf8),
                fromBytes: { payload, bytes in
                    guard let value = kind.fromBytes(bytes) else { return false }
                    store(payload, value)
                    return true
                },
                fromJSON: { payload, json in
                    guard let value = kind.fromJSON(json) else { return false }
                    store(payload, value)
                    return true
                }))
    }

    /// Writes a value into the property at `path` of the payload at an address: where the property is stored
    /// (`MemoryLayout.offset(of:)`, the documented way to reach a stored property through a pointer), without
    /// going through the key path each time.
    private static func store<Value>(into path: any WritableKeyPath<Payload, Value> & Sendable)
        -> @Sendable (UnsafeMutableRawPointer, Value) -> Void
    {
        guard let offset = MemoryLayout<Payload>.offset(of: path) else {
            return { payload, value in
                payload.assumingMemoryBound(to: Payload.self).pointee[keyPath: path] = value
            }
        }
        return { payload, value in
            (payload + offset).assumingMemoryBound(to: Value.self).pointee = value
        }
    }
}

/// What a member holds, as the schema says it (`FieldKind`) and as Swift holds it (`Value`): one declaration
/// gives the validators their rule and the readers their type.
public struct ValueKind<Value>: Sendable {
    let schema: FieldKind
    let fromBytes: @Sendable (UnsafeBufferPointer<UInt8>) -> Value?
    let fromJSON: @Sendable (JSONValue) -> Value?
}

extension ValueKind where Value == String {
    private static func string(_ schema: FieldKind) -> Self {
        ValueKind(schema: schema, fromBytes: ScannedObject.string, fromJSON: \.stringValue)
    }

    /// Free text.
    static var text: Self { string(.text) }
    /// A reference (ids and refs).
    static var reference: Self { string(.reference) }
    /// One of `values`.
    static func oneOf(_ values: [String]) -> Self { string(.oneOf(values)) }
    /// A code of capital letters, of a length in `lengths`.
    static func code(_ lengths: ClosedRange<Int>) -> Self { string(.code(lengths)) }
}

extension ValueKind where Value == CivilDate {
    /// `YYYY-MM-DD`.
    static var date: Self {
        ValueKind(
            schema: .date, fromBytes: { ScannedObject.string($0).flatMap(CivilDate.init) },
            fromJSON: { $0.stringValue.flatMap(CivilDate.init) })
    }
}

extension ValueKind where Value == Bool {
    /// `true` or `false`.
    static var bool: Self {
        ValueKind(
            schema: .bool,
            fromBytes: { bytes in
                switch bytes.first {
                case UInt8(ascii: "t"): true
                case UInt8(ascii: "f"): false
                default: nil
                }
            }, fromJSON: \.boolValue)
    }
}

extension ValueKind where Value == Int {
    /// An integer in `range`.
    static func integer(_ range: ClosedRange<Int>) -> Self {
        ValueKind(
            schema: .integer(range), fromBytes: { numberText($0).flatMap { Int($0) } },
            fromJSON: \.intValue)
    }
}

extension ValueKind where Value == Double {
    /// A number in `range`.
    static func number(_ range: ClosedRange<Double>) -> Self { double(.number(range)) }
    /// A number above `lower`, at most `upper`.
    static func numberAbove(_ lower: Double, atMost upper: Double) -> Self {
        double(.numberAbove(lower, atMost: upper))
    }

    private static func double(_ schema: FieldKind) -> Self {
        ValueKind(
            schema: schema, fromBytes: { numberText($0).flatMap { Double($0) } },
            fromJSON: \.doubleValue)
    }
}

extension ValueKind where Value == JSONObject {
    /// Any object, kept as it is (a policy document, a correction's data).
    static var anyObject: Self {
        ValueKind(
            schema: .anyObject,
            fromBytes: { bytes in
                bytes.first == UInt8(ascii: "{") ? JSONValue(scanned: bytes).objectValue : nil
            }, fromJSON: \.objectValue)
    }
}

extension ValueKind where Value == TextOrList {
    /// A string, or a list of strings.
    static var textOrList: Self {
        ValueKind(
            schema: .textOrList, fromBytes: { TextOrList(JSONValue(scanned: $0)) },
            fromJSON: TextOrList.init)
    }
}

extension ValueKind where Value: PayloadObject {
    /// An object with the members `Value` declares.
    static var object: Self {
        ValueKind(
            schema: .object(Value.members.fields),
            fromBytes: { bytes in
                bytes.first == UInt8(ascii: "{") ? Value.members.decode(scanned: bytes) : nil
            },
            fromJSON: { json in json.objectValue.flatMap { Value.members.decode($0) } })
    }
}

extension ValueKind {
    /// A list of at least `min` items of `item` (an item not of its kind is left out when decoding).
    static func list<Item>(_ item: ValueKind<Item>, min: Int) -> Self where Value == [Item] {
        ValueKind(
            schema: .list(item.schema, min: min),
            fromBytes: { bytes in
                var items: [Item] = []
                let whole = ScannedObject.forEachItem(in: bytes) { range in
                    if let value = item.fromBytes(UnsafeBufferPointer(rebasing: bytes[range])) {
                        items.append(value)
                    }
                    return true
                }
                return whole ? items : nil
            },
            fromJSON: { json in json.arrayValue.map { $0.compactMap(item.fromJSON) } })
    }
}

/// The text of a number's bytes, if they are a number (not a string, object, list, boolean or null).
func numberText(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    guard let first = bytes.first, first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39)
    else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

/// Free text given as one string or as a list of strings (worries, strengths, needs, decisions).
public enum TextOrList: Sendable, Equatable {
    case text(String)
    case list([String])

    init?(_ value: JSONValue) {
        switch value {
        case .string(let text): self = .text(text)
        case .array(let items):
            let texts = items.compactMap(\.stringValue)
            guard texts.count == items.count else { return nil }
            self = .list(texts)
        default: return nil
        }
    }
}

/// An event's `data` with its type: one case per kind of the catalogue, each holding the data as that type's
/// payload (decoded when asked: `payload.decoded`). Readers switch over it with no `default`, so a new type is
/// not forgotten by any of them.
public struct Payload<Decoded: EventPayload>: Sendable {
    /// The data as read (a view of the log, or an object in memory).
    public let data: EventData

    /// The data decoded into the type's struct; nil when its content was redacted or does not decode.
    public var decoded: Decoded? { Decoded.decode(data) }
}
