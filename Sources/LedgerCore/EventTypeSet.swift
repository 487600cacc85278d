#if canImport(Glibc)
    import Glibc
#endif

/// A set of catalogue types that answers for a type name given as bytes, without building a `String`: how the
/// read path decides, from a line's first bytes, whether a projection needs the event at all.
public struct EventTypeSet: Sendable {
    /// The names, in the order given (for catalogue names, the caller's own strings: literals, never copied).
    public let names: [String]
    private let byFingerprint: [UInt64: Int]

    /// The set of `names` (catalogue type names).
    public init(_ names: some Sequence<String>) {
        var kept: [String] = []
        var table: [UInt64: Int] = [:]
        for name in names {
            var bytes = name
            let key = bytes.withUTF8 { Self.fingerprint($0) }
            guard table[key] == nil else { continue }
            table[key] = kept.count
            kept.append(name)
        }
        self.names = kept
        byFingerprint = table
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
        guard let index = byFingerprint[Self.fingerprint(bytes)] else { return nil }
        // The fingerprint only picks the candidate; the bytes decide.
        let same = names[index].utf8.withContiguousStorageIfAvailable { stored in
            guard stored.count == bytes.count, let left = stored.baseAddress, let right = bytes.baseAddress else {
                return stored.count == bytes.count
            }
            return memcmp(left, right, bytes.count) == 0
        }
        return (same ?? names[index].utf8.elementsEqual(bytes)) ? index : nil
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
