/// A set of catalogue types that answers for a type name given as bytes, without building a `String`: how the
/// read path decides, from a line's first bytes, whether a projection needs the event at all.
public struct EventTypeSet: Sendable {
    /// The names, in the order given (for catalogue names, the caller's own strings: literals, never copied).
    public let names: [String]
    /// Open addressing on the fingerprint: `index + 1` of the name, 0 for an empty slot; a quarter full at most.
    private let slots: [Int16]
    private let mask: Int

    /// The set of `names` (catalogue type names).
    public init(_ names: some Sequence<String>) {
        var kept: [String] = []
        for name in names where !kept.contains(name) { kept.append(name) }
        var size = 64
        while size < kept.count * 4 { size *= 2 }
        var table = [Int16](repeating: 0, count: size)
        for (index, name) in kept.enumerated() {
            var bytes = name
            var slot = Int(truncatingIfNeeded: bytes.withUTF8 { Self.fingerprint($0) }) & (size - 1)
            while table[slot] != 0 { slot = (slot + 1) & (size - 1) }
            table[slot] = Int16(index + 1)
        }
        self.names = kept
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
        var slot = Int(truncatingIfNeeded: Self.fingerprint(bytes)) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            if Self.equals(names[entry - 1], bytes) { return entry - 1 }
            slot = (slot + 1) & mask
        }
    }

    private static func equals(_ name: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Type names are a few dozen bytes: a plain comparison, with no C library call, keeps the domain module
        // free of Glibc.
        let same = name.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(bytes) }
        return same ?? name.utf8.elementsEqual(bytes)
    }

    /// FNV-1a, 64 bits: enough to tell ~45 short names apart (a collision is caught by the comparison after).
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
