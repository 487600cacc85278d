import EventLog
import LedgerEngine
import LedgerDemo
import Testing

@testable import LedgerCore

/// Each type's data decodes into its struct from one declaration, read two ways: from the bytes of a line where
/// they lie (how a log is read), and from an object in memory (a correction's data, a line the reference parser
/// read). The two must give the same struct.
@Suite("Typed payloads: declared once, decoded alike from bytes and from memory")
struct PayloadDecodingTests {
    /// The data as the scanner leaves it: a view of its bytes.
    static func inPlace(_ text: String) -> EventData {
        let bytes = Array(text.utf8)
        let chunk = bytes.withUnsafeBytes { LogChunk(copying: $0) }
        return EventData(chunk: chunk, range: 0..<bytes.count)
    }

    static func inPlace(_ data: EventData) -> EventData {
        inPlace(JSONWriter.string(.object(data.object)))
    }

    static func both(_ kind: EventKind, _ text: String) throws -> (
        bytes: (any EventPayload)?, memory: (any EventPayload)?
    ) {
        let object = try #require(try JSONParser.parse(text).objectValue)
        let type = kind.payloadType
        return (type.decode(inPlace(text)), type.decode(EventData(object)))
    }

    @Test("every event of a demo log decodes, the same from its bytes as from memory")
    func demo() throws {
        let today = try #require(CivilDate("2026-11-23"))
        let events = DemoScenario(families: 40, seed: 5, today: today).storedEvents()
        var kinds = Set<EventKind>()
        for event in events {
            let kind = try #require(event.kind)
            kinds.insert(kind)
            let type = kind.payloadType
            let decoded = (
                memory: type.decode(event.data), bytes: type.decode(Self.inPlace(event.data))
            )
            let memory = try #require(decoded.memory, "\(event.type)")
            let bytes = try #require(decoded.bytes, "\(event.type)")
            #expect(String(describing: memory) == String(describing: bytes), "\(event.type)")
        }
        #expect(kinds.count >= 28, "the demo writes most types: \(kinds.count)")
    }

    @Test("escapes decoded, nulls and unknown members ignored, items not of their kind left out")
    func lenientWhereItMayBe() throws {
        let text =
            #"{"source":"school","reason":"Tab\tand \"quotes\" \u00e9\ud83d\ude00","extra":[1,{"a":2}],"#
            + #""members":[{"id":"1","name":"A","role":"child","dob":"2015-04-01"},"junk",{"id":"2"}],"#
            + #""criteria":null,"stepDown":{"from":"cp","planCompleted":true,"closureSummary":false}}"#
        let (bytes, memory) = try Self.both(.referralReceived, text)
        for decoded in [bytes, memory] {
            let referral = try #require(decoded as? ReferralReceived)
            #expect(referral.reason == "Tab\tand \"quotes\" é😀")
            #expect(referral.members.map(\.id) == ["1"])
            #expect(referral.members.first?.dob == CivilDate("2015-04-01"))
            #expect(referral.criteria == nil)
            #expect(referral.stepDown?.from == "cp" && referral.stepDown?.planCompleted == true)
        }
    }

    @Test(
        "a required member missing or not of its kind: no payload; an optional one not of its kind: absent",
        arguments: [
            (EventKind.triageCompleted, #"{}"#, false),
            (.triageCompleted, #"{"outcome":"3","priority":"low","level":"brief"}"#, false),
            (.triageCompleted, #"{"outcome":3,"priority":"low","level":"brief"}"#, true),
            (.workerAllocated, #"{"worker":5,"relationship":"lead"}"#, false),
            (.workerChanged, #"{"role":5}"#, true),
            (
                .attendanceRecorded,
                #"{"memberId":"1","from":"2026-13-01","to":"2026-01-02","percent":90}"#, false
            ),
            (.assessmentCompleted, #"{"kind":"family-star","familyStar":{"wellbeing":3}}"#, true),
        ])
    func strictWhereItMustBe(kind: EventKind, text: String, decodes: Bool) throws {
        let (bytes, memory) = try Self.both(kind, text)
        #expect((bytes != nil) == decodes)
        #expect((memory != nil) == decodes)
        #expect(String(describing: bytes) == String(describing: memory))
        if kind == .workerChanged { #expect((bytes as? WorkerChanged)?.role == nil) }
        if kind == .assessmentCompleted {
            #expect((bytes as? AssessmentCompleted)?.familyStar == nil, "a star needs all ten")
        }
    }

    @Test("a member name written with escapes is read through the object built from the bytes")
    func escapedName() throws {
        let (bytes, memory) = try Self.both(
            .workerAllocated, #"{"wor\u006ber":"w-1","relationship":"lead"}"#)
        #expect((bytes as? WorkerAllocated)?.worker == "w-1")
        #expect((memory as? WorkerAllocated)?.worker == "w-1")
    }

    @Test("a redacted payload (no data) decodes only for the types with no required member")
    func redacted() {
        for kind in EventKind.allCases {
            let optionalOnly = kind.eventType.fields.allSatisfy { !$0.required }
            let type = kind.payloadType
            let decoded = (empty: type.decode(.empty), braces: type.decode(Self.inPlace("{}")))
            #expect((decoded.empty != nil) == optionalOnly, "\(kind)")
            #expect((decoded.braces != nil) == optionalOnly, "\(kind)")
        }
    }

    @Test("the catalogue's entries are the declarations': names, members, order")
    func catalogue() {
        #expect(Catalogue.types.count == EventKind.allCases.count)
        for kind in EventKind.allCases {
            let declared = kind.payloadType.eventType
            #expect(kind.name == declared.name)
            #expect(Catalogue.types[kind.name]?.fields.map(\.name) == declared.fields.map(\.name))
            #expect(EventKind(name: kind.name) == kind)
        }
    }
}
