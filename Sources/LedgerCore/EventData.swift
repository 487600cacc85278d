import EventLog

/// An event's `data` object as the projections read it: a view of the bytes in the log, whose members are found
/// and built only when asked for (`data["worker"]`), or an object held in memory (a correction's replacement,
/// an event decoded by the reference parser, a test's value).
public struct EventData: Sendable {
    enum Storage: Sendable {
        case view(LogChunk, Range<Int>)
        case object(JSONObject)
    }

    let storage: Storage

    /// The bytes of a data object the scanner accepted, at `range` of `chunk`.
    package init(chunk: LogChunk, range: Range<Int>) { storage = .view(chunk, range) }

    /// An object held in memory.
    public init(_ object: JSONObject) { storage = .object(object) }

    /// An empty object.
    public static let empty = EventData(JSONObject())

    /// The value of the member called `key`, if present.
    public subscript(key: String) -> JSONValue? {
        switch storage {
        case .object(let object):
            return object[key]
        case .view(let chunk, let range):
            let bytes = chunk.bytes(range)
            return ScannedObject.valueRange(of: key, in: bytes).map {
                JSONValue(scanned: bytes, $0)
            }
        }
    }

    /// The member called `key` when it is an object, read where it is like this one (nil when absent or not an
    /// object): a sentence that reads a few of a nested object's members does not build all of them.
    public func object(_ key: String) -> EventData? {
        switch storage {
        case .object(let object):
            return object[key]?.objectValue.map(EventData.init)
        case .view(let chunk, let range):
            guard let found = ScannedObject.valueRange(of: key, in: chunk.bytes(range)),
                chunk.bytes(range)[found.lowerBound] == UInt8(ascii: "{")
            else { return nil }
            return EventData(
                chunk: chunk,
                range: (range.lowerBound + found.lowerBound)..<(range.lowerBound + found.upperBound)
            )
        }
    }

    /// The items of the member called `key` when it is an array (nil when absent or not an array): each item
    /// that is an object read where it is, nil for any other item.
    public func items(_ key: String) -> [EventData?]? {
        switch storage {
        case .object(let object):
            return object[key]?.arrayValue.map { $0.map { $0.objectValue.map(EventData.init) } }
        case .view(let chunk, let range):
            let bytes = chunk.bytes(range)
            guard let found = ScannedObject.valueRange(of: key, in: bytes),
                bytes[found.lowerBound] == UInt8(ascii: "[")
            else {
                return nil
            }
            let start = range.lowerBound + found.lowerBound
            var items: [EventData?] = []
            let whole = ScannedObject.forEachItem(
                in: chunk.bytes(start..<(range.lowerBound + found.upperBound))
            ) { item in
                let isObject = bytes[found.lowerBound + item.lowerBound] == UInt8(ascii: "{")
                items.append(
                    isObject
                        ? EventData(
                            chunk: chunk,
                            range: (start + item.lowerBound)..<(start + item.upperBound)) : nil)
                return true
            }
            return whole ? items : nil
        }
    }

    /// Every member, built (the timeline's struck-through original, equality).
    public var object: JSONObject {
        switch storage {
        case .object(let object):
            return object
        case .view(let chunk, let range):
            return JSONValue(scanned: chunk.bytes(range)).objectValue ?? JSONObject()
        }
    }

    /// Appends the object as JSON: the stored bytes as they are for a view of the log, else written compactly.
    public func appendJSON(to out: inout [UInt8]) {
        switch storage {
        case .object(let object): JSONWriter.write(.object(object), into: &out)
        case .view(let chunk, let range): out.append(contentsOf: chunk.bytes(range))
        }
    }

    /// A copy that holds no bytes of the log (for values kept longer than a scan, such as corrections).
    public var detached: EventData {
        if case .object = storage { return self }
        return EventData(object)
    }
}

extension EventData: Equatable {
    public static func == (lhs: EventData, rhs: EventData) -> Bool { lhs.object == rhs.object }
}

extension EventData: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(JSONObject(elements.map { JSONMember($0.0, $0.1) }))
    }
}
