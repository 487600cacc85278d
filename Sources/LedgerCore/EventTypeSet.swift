/// A set of catalogue types that answers for a type name given as bytes, without building a `String`: how the
/// read path decides, from a line's first bytes, whether a projection needs the event at all.
public struct EventTypeSet: Sendable {
    /// The names, in the order given (for catalogue names, the caller's own strings: literals, never copied).
    public let names: [String]
    /// The names' bytes, one after another, and where each starts (`count + 1` offsets): compared a word at a time.
    private let spelled: [UInt8]
    private let starts: [Int]
    /// Open addressing on `quickHash`: `index + 1` of the name, 0 for an empty slot; a quarter full at most.
    private let slots: [Int16]
    private let mask: Int

    /// The set of `names` (catalogue type names).
    public init(_ names: some Sequence<String>) {
        var kept: [String] = []
        for name in names where !kept.contains(name) { kept.append(name) }
        var size = 64
        while size < kept.count * 4 { size *= 2 }
        var table = [Int16](repeating: 0, count: size)
        var spelled: [UInt8] = []
        var starts: [Int] = []
        for (index, name) in kept.enumerated() {
            starts.append(spelled.count)
            spelled.append(contentsOf: name.utf8)
            var bytes = name
            var slot = Int(truncatingIfNeeded: bytes.withUTF8 { Self.quickHash($0) }) & (size - 1)
            while table[slot] != 0 { slot = (slot + 1) & (size - 1) }
            table[slot] = Int16(index + 1)
        }
        starts.append(spelled.count)
        // Room for a word read past the last name's end.
        spelled.append(contentsOf: repeatElement(0, count: 8))
        self.names = kept
        self.spelled = spelled
        self.starts = starts
        slots = table
        mask = size - 1
    }

    /// Every type of the catalogue, in `Catalogue.names` order.
    public static let all = EventTypeSet(Catalogue.names)

    /// Whether the type spelled by `bytes` is in the set.
    public func contains(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool { index(of: bytes) != nil }

    /// Whether `name` is in the set.
    public func contains(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { contains($0) }
    }

    /// The position in `names` of the type spelled by `bytes`, if it is in the set.
    public func index(of bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var slot = Int(truncatingIfNeeded: Self.quickHash(bytes)) & mask
        return slots.withUnsafeBufferPointer { slots in
            spelled.withUnsafeBufferPointer { spelled in
                while true {
                    let entry = Int(slots[slot])
                    if entry == 0 { return nil }
                    let start = starts[entry - 1]
                    if starts[entry] - start == bytes.count,
                        Self.equal(spelled.baseAddress.unsafelyUnwrapped + start, bytes)
                    {
                        return entry - 1
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// Whether the `bytes.count` bytes at `name` are `bytes`, compared a word at a time (type names are a few
    /// dozen bytes: no C library call, which keeps the domain module free of Glibc).
    @inline(__always)
    private static func equal(_ name: UnsafePointer<UInt8>, _ bytes: UnsafeBufferPointer<UInt8>)
        -> Bool
    {
        guard let base = bytes.baseAddress else { return bytes.isEmpty }
        let left = UnsafeRawPointer(name)
        let right = UnsafeRawPointer(base)
        var offset = 0
        while bytes.count - offset >= 8 {
            if left.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != right.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            {
                return false
            }
            offset += 8
        }
        while offset < bytes.count {
            if name[offset] != base[offset] { return false }
            offset += 1
        }
        return true
    }

    /// A fast hash of a short name, eight bytes at a time (the slots' and the amendments' quick test; never
    /// stored, and a collision is caught by the comparison after).
    @inline(__always)
    static func quickHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let base = bytes.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base)
        let count = bytes.count
        var hash = UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15
        var offset = 0
        while count - offset >= 8 {
            hash =
                (hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 29
            offset += 8
        }
        if offset < count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < count {
                tail |= UInt64(base[offset]) << shift
                shift += 8
                offset += 1
            }
            hash = (hash ^ tail) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 29
        }
        return hash
    }

    /// FNV-1a, 64 bits, a byte at a time: the hash a family stream's route is made from (`StoredEvent.route`, by
    /// which folds are cut into shards; kept as it is so that routes do not change).
    static func fingerprint(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

extension Catalogue {
    /// The catalogue's spelling of the type named by `bytes`: a string backed by the program's constant data, so
    /// that a million events share it instead of each allocating its own. Nil for a name not in the catalogue.
    public static func typeName(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        EventTypeSet.all.index(of: bytes).map { EventTypeSet.all.names[$0] }
    }
}
