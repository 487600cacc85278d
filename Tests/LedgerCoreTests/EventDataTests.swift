import EventLog
@testable import LedgerEngine
import Testing

@testable import LedgerCore

/// Event data read where it lies in the log's bytes answers as the same data held in memory.
@Suite("Event data in place")
struct EventDataTests {
    static let data: JSONValue = [
        "member": ["id": "4", "name": "Zoë \"Z\" Siân", "role": "child"],
        "members": [
            ["id": "1", "role": "child"], "not an object", 7,
            ["id": "2", "role": "parent", "tags": ["a"]],
            [:],
        ],
        "empty": [], "text": "a string", "number": 5, "nothing": nil,
        "nested": ["inner": ["deep": [1, 2, ["x": true]]]],
    ]

    static func inPlace(_ data: JSONValue) -> EventData {
        let bytes = JSONWriter.bytes(data)
        let chunk = bytes.withUnsafeBytes { LogChunk(copying: $0) }
        return EventData(chunk: chunk, range: 0..<bytes.count)
    }

    static let keys = [
        "member", "members", "empty", "text", "number", "nothing", "nested", "absent",
    ]

    @Test("a member that is an object, as data: the same in place and in memory", arguments: keys)
    func object(key: String) {
        let held = EventData(Self.data.objectValue ?? JSONObject())
        let viewed = Self.inPlace(Self.data)
        #expect(viewed.object(key)?.object == held.object(key)?.object)
        #expect((held.object(key) != nil) == (key == "member" || key == "nested"))
    }

    @Test(
        "a member that is an array, its items as data: the same in place and in memory",
        arguments: keys)
    func items(key: String) {
        let held = EventData(Self.data.objectValue ?? JSONObject())
        let viewed = Self.inPlace(Self.data)
        #expect(viewed.items(key)?.map { $0?.object } == held.items(key)?.map { $0?.object })
        #expect((held.items(key) != nil) == (key == "members" || key == "empty"))
    }

    @Test("items and members of members, read in place")
    func nested() throws {
        let viewed = Self.inPlace(Self.data)
        let members = try #require(viewed.items("members"))
        #expect(members.map { $0 == nil } == [false, true, true, false, false])
        #expect(members[3]?["tags"] == ["a"])
        #expect(members[0]?["role"]?.stringValue == "child")
        #expect(viewed.object("member")?["name"]?.stringValue == "Zoë \"Z\" Siân")
        #expect(
            viewed.object("nested")?.object("inner")?.items("deep")?.map { $0 == nil } == [
                true, true, false,
            ])
        #expect(viewed.object("nested")?.object("inner")?.items("deep")?[2]?["x"] == .bool(true))
        #expect(viewed.items("empty")?.isEmpty == true)
    }
}
