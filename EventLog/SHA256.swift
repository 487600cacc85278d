import CSHA256

/// SHA-256 (FIPS 180-4), written here because the ledger takes no third-party packages.
///
/// Incremental: `update` any number of times, then `finalize`. The one-shot helpers cover the common case of
/// hashing a line or a slice of a line. Blocks are compressed with the processor's SHA extensions where it has
/// them (a small C target, `CSHA256`) and by the portable Swift code below otherwise; both are tested against
/// the published vectors and against each other.
public struct SHA256: Sendable {
    /// Which compression function to use.
    public enum Implementation: Sendable, Equatable {
        /// The SHA extensions of the processor (x86 SHA-NI).
        case hardware
        /// Portable Swift.
        case portable

        /// The fastest this machine offers.
        public static let fastest: Implementation =
            csha256_hardware_available() != 0 ? .hardware : .portable
    }

    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab,
        0x5be0_cd19
    )
    private var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
        0, 0, 0, 0, 0, 0, 0, 0
    )
    private var buffered = 0
    private var length: UInt64 = 0
    private let implementation: Implementation

    /// A hasher using the fastest implementation (or the one given, for tests and benchmarks).
    public init(implementation: Implementation = .fastest) { self.implementation = implementation }

    /// Feeds bytes into the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        length &+= UInt64(remaining)
        if buffered > 0 {
            let take = min(64 - buffered, remaining)
            let offset = buffered
            withUnsafeMutableBytes(of: &buffer) { buf in
                UnsafeMutableRawBufferPointer(rebasing: buf[offset..<(offset + take)]).copyMemory(
                    from: UnsafeRawBufferPointer(start: pointer, count: take))
            }
            buffered += take
            pointer += take
            remaining -= take
            if buffered < 64 { return }
            var block = buffer
            withUnsafeBytes(of: &block) { raw in
                if let base = raw.baseAddress { compress(base, blocks: 1) }
            }
            buffered = 0
        }
        let whole = remaining / 64
        if whole > 0 {
            compress(pointer, blocks: whole)
            pointer += whole * 64
            remaining -= whole * 64
        }
        if remaining > 0 {
            let count = remaining
            withUnsafeMutableBytes(of: &buffer) { buf in
                UnsafeMutableRawBufferPointer(rebasing: buf[0..<count]).copyMemory(
                    from: UnsafeRawBufferPointer(start: pointer, count: count))
            }
            buffered = remaining
        }
    }

    /// Feeds bytes into the hash.
    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if let done: Void = bytes.withContiguousStorageIfAvailable({
            update(UnsafeRawBufferPointer($0))
        }) {
            return done
        }
        let copy = Array(bytes)
        copy.withUnsafeBytes { update($0) }
    }

    /// Feeds the UTF-8 bytes of a string into the hash.
    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Pads, processes the last block and returns the 32-byte digest.
    public mutating func finalize() -> Digest {
        let bitLength = length &* 8
        // 0x80, zeros up to 56 mod 64, then the length in bits, big-endian: at most 72 bytes.
        var pad: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
            0, 0, 0, 0, 0, 0, 0, 0, 0
        )
        let padLength = buffered < 56 ? 56 - buffered : 120 - buffered
        withUnsafeMutableBytes(of: &pad) { raw in
            raw[0] = 0x80
            for index in 0..<8 {
                raw[padLength + index] = UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * index))
            }
            update(UnsafeRawBufferPointer(rebasing: raw[0..<(padLength + 8)]))
        }
        return Digest(state: state)
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of `bytes`.
    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> Digest
    where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of `first` and `second` joined (the whole message at once: no bytes are copied to a buffer but
    /// the last block's).
    public static func digest(
        _ first: UnsafeRawBufferPointer,
        _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        implementation: Implementation = .fastest
    ) -> Digest {
        guard implementation == .hardware else {
            var hasher = SHA256(implementation: implementation)
            hasher.update(first)
            hasher.update(second)
            return hasher.finalize()
        }
        var message = Self.message(first, second)
        var words = Digest.zero.words
        withUnsafeMutableBytes(of: &words) {
            csha256_digest_hardware(&message, $0.baseAddress?.assumingMemoryBound(to: UInt32.self))
        }
        return Digest(state: words)
    }

    /// The digests of two messages, each given in two pieces hashed as if joined, computed side by side: with the
    /// SHA extensions, the rounds of one fill the gaps the other's leave (about 1.6 times as fast as one after the
    /// other on this kind of processor); the same digests as `digest` gives each.
    public static func digests(
        _ a: (UnsafeRawBufferPointer, UnsafeRawBufferPointer),
        _ b: (UnsafeRawBufferPointer, UnsafeRawBufferPointer),
        implementation: Implementation = .fastest
    ) -> (Digest, Digest) {
        guard implementation == .hardware else {
            return (
                digest(a.0, a.1, implementation: implementation),
                digest(b.0, b.1, implementation: implementation)
            )
        }
        var first = Self.message(a.0, a.1)
        var second = Self.message(b.0, b.1)
        var words = (Digest.zero.words, Digest.zero.words)
        withUnsafeMutableBytes(of: &words.0) { one in
            withUnsafeMutableBytes(of: &words.1) { two in
                csha256_digest2_hardware(
                    &first, one.baseAddress?.assumingMemoryBound(to: UInt32.self),
                    &second, two.baseAddress?.assumingMemoryBound(to: UInt32.self))
            }
        }
        return (Digest(state: words.0), Digest(state: words.1))
    }

    private static func message(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer)
        -> csha256_message
    {
        csha256_message(
            first: first.baseAddress?.assumingMemoryBound(to: UInt8.self),
            first_length: first.count,
            second: second.baseAddress?.assumingMemoryBound(to: UInt8.self),
            second_length: second.count)
    }

    private mutating func compress(_ pointer: UnsafeRawPointer, blocks: Int) {
        if implementation == .hardware {
            withUnsafeMutableBytes(of: &state) { raw in
                csha256_compress_hardware(
                    raw.baseAddress?.assumingMemoryBound(to: UInt32.self),
                    pointer.assumingMemoryBound(to: UInt8.self),
                    blocks)
            }
        } else {
            compressPortably(pointer, blocks: blocks)
        }
    }

    private mutating func compressPortably(_ pointer: UnsafeRawPointer, blocks: Int) {
        var (h0, h1, h2, h3, h4, h5, h6, h7) = state
        var w = (
            UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
            UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
            UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
            UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0)
        )
        withUnsafeMutableBytes(of: &w) { raw in
            // A tuple's bytes and a non-empty array always have a base address.
            guard let scheduleBase = raw.baseAddress else { return }
            let schedule = scheduleBase.assumingMemoryBound(to: UInt32.self)
            SHA256.roundConstants.withUnsafeBufferPointer { constants in
                guard let k = constants.baseAddress else { return }
                for block in 0..<blocks {
                    let base = pointer + block * 64
                    for t in 0..<16 {
                        schedule[t] = UInt32(
                            bigEndian: base.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let x = schedule[t - 15]
                        let y = schedule[t - 2]
                        let s0 = x.rotatedRight(7) ^ x.rotatedRight(18) ^ (x >> 3)
                        let s1 = y.rotatedRight(17) ^ y.rotatedRight(19) ^ (y >> 10)
                        schedule[t] = schedule[t - 16] &+ s0 &+ schedule[t - 7] &+ s1
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    for t in 0..<64 {
                        let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                        let choice = (e & f) ^ (~e & g)
                        let temp1 = h &+ s1 &+ choice &+ k[t] &+ schedule[t]
                        let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let temp2 = s0 &+ majority
                        h = g
                        g = f
                        f = e
                        e = d &+ temp1
                        d = c
                        c = b
                        b = a
                        a = temp1 &+ temp2
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                    h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
            }
        }
        state = (h0, h1, h2, h3, h4, h5, h6, h7)
    }

    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4,
        0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7,
        0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc,
        0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351,
        0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e,
        0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585,
        0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f,
        0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7,
        0xc671_78f2,
    ]
}

extension SHA256 {
    /// A 32-byte SHA-256 digest.
    public struct Digest: Hashable, Sendable, CustomStringConvertible {
        /// The eight 32-bit words of the digest, big-endian order.
        public let words: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)

        init(state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)) {
            words = state
        }

        /// The digest spelled by 64 lowercase hex digits, if they are (eight at a time: see `Hex.word`).
        public init?(hex: UnsafeRawBufferPointer) {
            guard hex.count == 64, let base = hex.baseAddress else { return nil }
            @inline(__always)
            func word(_ index: Int) -> UInt32? {
                Hex.word(base.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
            }
            guard let w0 = word(0), let w1 = word(1), let w2 = word(2), let w3 = word(3),
                let w4 = word(4),
                let w5 = word(5), let w6 = word(6), let w7 = word(7)
            else { return nil }
            words = (w0, w1, w2, w3, w4, w5, w6, w7)
        }

        /// The digest of 64 zeros (`prev` of the first line).
        public static let zero = Digest(state: (0, 0, 0, 0, 0, 0, 0, 0))

        /// The digest as 64 lowercase hexadecimal characters, as bytes.
        public var hexBytes: [UInt8] {
            [UInt8](unsafeUninitializedCapacity: 64) { buffer, count in
                if let base = buffer.baseAddress { writeHex(to: base) }
                count = 64
            }
        }

        /// Writes the 64 lowercase hex digits of the digest at `destination`, which must have room for them.
        public func writeHex(to destination: UnsafeMutablePointer<UInt8>) {
            withUnsafeBytes(of: words) { raw in
                for index in 0..<8 {
                    let word = raw.load(fromByteOffset: index * 4, as: UInt32.self)
                    for nibble in 0..<8 {
                        let value = (word >> (28 - 4 * UInt32(nibble))) & 0xF
                        destination[index * 8 + nibble] = UInt8(
                            truncatingIfNeeded: value < 10 ? value + 0x30 : value + 0x57)
                    }
                }
            }
        }

        /// Appends the 64 lowercase hex digits to `bytes`.
        public func appendHex(to bytes: inout [UInt8]) {
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: 64))
            bytes.withUnsafeMutableBufferPointer { buffer in
                if let base = buffer.baseAddress { writeHex(to: base + start) }
            }
        }

        /// Whether `hex` is exactly this digest as 64 lowercase hex digits (no allocation: the verifier's hot path).
        public func matches(hex: UnsafeRawBufferPointer) -> Bool { Digest(hex: hex) == self }

        /// The digest as 64 lowercase hexadecimal characters.
        public var hex: String { String(decoding: hexBytes, as: UTF8.self) }

        public var description: String { hex }

        public static func == (lhs: Digest, rhs: Digest) -> Bool {
            lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
                && lhs.words.3 == rhs.words.3 && lhs.words.4 == rhs.words.4
                && lhs.words.5 == rhs.words.5
                && lhs.words.6 == rhs.words.6 && lhs.words.7 == rhs.words.7
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
        }
    }
}

/// Lowercase hexadecimal helpers shared by the line format.
public enum Hex {
    /// The 32-bit value of eight lowercase hex digits loaded as a little-endian word (the first digit in the low
    /// byte), or nil when any is not `0`–`9` or `a`–`f`. Each digit's value is its low four bits, plus 9 for a
    /// letter (bit 6 set); then adjacent nibbles are packed, and the bytes put in reading order.
    @inline(__always)
    public static func word(_ digits: UInt64) -> UInt32? {
        guard Cursor.isLowercaseHex(digits) else { return nil }
        let nibbles =
            (digits & 0x0F0F_0F0F_0F0F_0F0F) &+ ((digits >> 6) & 0x0101_0101_0101_0101) &* 9
        let pairs =
            ((nibbles & 0x000F_000F_000F_000F) << 4) | ((nibbles >> 8) & 0x000F_000F_000F_000F)
        let quads = (pairs | (pairs >> 8)) & 0x0000_FFFF_0000_FFFF
        let packed = UInt32(truncatingIfNeeded: quads | (quads >> 16))
        return packed.byteSwapped
    }

    /// The sixteen lowercase hex digits as ASCII bytes.
    public static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether `bytes` are exactly `count` lowercase hex digits.
    public static func isLowercaseHex<Bytes: Collection>(_ bytes: Bytes, count: Int) -> Bool
    where Bytes.Element == UInt8 {
        bytes.count == count
            && bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Lowercase hex of arbitrary bytes.
    @inlinable
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String
    where Bytes.Element == UInt8 {
        // Written straight into the string's storage: no intermediate array, no per-digit bounds checks.
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var at = 0
            for byte in bytes {
                out[at] = (byte >> 4) < 10 ? 0x30 + (byte >> 4) : 0x57 + (byte >> 4)
                out[at + 1] = (byte & 0xF) < 10 ? 0x30 + (byte & 0xF) : 0x57 + (byte & 0xF)
                at += 2
            }
            return at
        }
    }
}

extension UInt32 {
    @inline(__always)
    fileprivate func rotatedRight(_ count: UInt32) -> UInt32 {
        (self >> count) | (self << (32 - count))
    }
}

/// Hints to the processor's caches (they change no result).
public enum CacheHint {
    /// Starts loading the cache line at `address` without waiting for it: for a hash table probed in order
    /// beside other work, whose next probe is known a few lines ahead.
    /// Inlined where it is asked for: a call per cache line cost more than the hint saved on the verifier's lines.
    @inlinable
    public static func prefetch(_ address: UnsafeRawPointer) { csha256_prefetch(address) }
}
