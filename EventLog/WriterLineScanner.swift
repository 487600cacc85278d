#if canImport(Glibc)
    import Glibc
#endif

/// Where each member of a writer's event line is (the members of EVENTS.md §1 that a writer sets, in any order),
/// found at byte level without building any value.
///
/// Ranges are byte offsets into the line. String members (`id`, `stream`, `type`, `occurredAt`, `actor.id`,
/// `actor.role`) are the text between the quotes. `actor`, `source` and `data` cover the whole object, and those
/// bytes are already the stored form: what `JSONWriter` writes of the value the reference parser builds from them.
public struct WriterLine: Sendable, Equatable {
    /// Absent when the writer leaves the ledger to make the id.
    public var id: Range<Int>?
    public var stream: Range<Int>
    public var type: Range<Int>
    /// `v`, when the writer gave it.
    public var version: Int?
    public var occurredAt: Range<Int>
    public var actor: Range<Int>
    public var actorID: Range<Int>
    public var actorRole: Range<Int>
    public var source: Range<Int>?
    public var data: Range<Int>
}

extension LineScanner {
    /// The members a writer may set, as bits of a mask (each may appear once).
    private enum WriterMember: UInt8 {
        case id = 1, stream = 2, type = 4, version = 8, occurredAt = 16, actor = 32, source = 64,
            data = 128

        init?(_ base: UnsafePointer<UInt8>, _ name: Range<Int>) {
            func named(_ text: StaticString) -> Bool { LineScanner.equals(base, name, text) }
            switch name.count {
            case 1 where named("v"): self = .version
            case 2 where named("id"): self = .id
            case 4 where named("type"): self = .type
            case 4 where named("data"): self = .data
            case 5 where named("actor"): self = .actor
            case 6 where named("stream"): self = .stream
            case 6 where named("source"): self = .source
            case 10 where named("occurredAt"): self = .occurredAt
            default: return nil
            }
        }
    }

    /// Scans a writer's event line (without its newline); nil when it is not on the fast path.
    ///
    /// One-sided, like `scan`: it accepts a line only when the reference (`JSONParser`, then `EventInput.parse`'s
    /// reading of the members) would read the same members from it, and only when the stored form of `actor`,
    /// `source` and `data` is their bytes as they are. So it declines whitespace anywhere (but a carriage return
    /// ending the line), an escape in any string, non-ASCII in the top-level strings, a repeated member, a member
    /// a writer does not set, a missing member (`stream`, `type`, `occurredAt`, `actor`, `data`), `v` that is not
    /// a plain positive integer, and anything the grammar refuses. It does not check the contract's rules: that
    /// is `InPlaceValidation`'s work.
    public mutating func scanWriter(_ line: UnsafeBufferPointer<UInt8>) -> WriterLine? {
        guard let base = line.baseAddress, line.count <= LineFormat.maxLineBytes else { return nil }
        nameCount = 0
        var c = Cursor(base: base, end: line.count)
        guard c.literal("{"), c.peek() == UInt8(ascii: "\"") else { return nil }
        var seen: UInt8 = 0
        var id: Range<Int>?
        var stream: Range<Int>?
        var type: Range<Int>?
        var version: Int?
        var occurredAt: Range<Int>?
        var actor: Range<Int>?
        var source: Range<Int>?
        var data: Range<Int>?
        repeat {
            guard c.literal("\""), let name = c.plainString(), c.literal(":"),
                let member = WriterMember(base, name),
                seen & member.rawValue == 0
            else { return nil }
            seen |= member.rawValue
            switch member {
            case .id, .stream, .type, .occurredAt:
                guard c.literal("\""), let text = c.plainString() else { return nil }
                switch member {
                case .id: id = text
                case .stream: stream = text
                case .type: type = text
                default: occurredAt = text
                }
            case .version:
                guard let number = c.positiveInteger() else { return nil }
                version = number
            case .actor, .source, .data:
                let start = c.index
                guard c.peek() == UInt8(ascii: "{"), skipValue(&c, depth: 1),
                    memchr(base + start, Int32(UInt8(ascii: "\\")), c.index - start) == nil
                else { return nil }
                switch member {
                case .actor: actor = start..<c.index
                case .source: source = start..<c.index
                default: data = start..<c.index
                }
            }
        } while c.literal(",")
        // A carriage return may end the line (a feed written on Windows): JSON takes it as whitespace.
        guard c.literal("}"), c.index == c.end || (c.index == c.end - 1 && base[c.index] == 0x0D),
            let stream, let type, let occurredAt, let actor, let data,
            let (actorID, actorRole) = Self.actorMembers(base, actor)
        else { return nil }
        return WriterLine(
            id: id, stream: stream, type: type, version: version, occurredAt: occurredAt,
            actor: actor,
            actorID: actorID, actorRole: actorRole, source: source, data: data)
    }
}
