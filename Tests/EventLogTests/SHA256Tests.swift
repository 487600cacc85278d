import EventLog
import Testing

@Suite("SHA-256 against the FIPS 180-4 / NIST CAVP vectors")
struct SHA256Tests {
    /// Both compression functions where this machine has the SHA extensions; the portable one alone otherwise.
    static let implementations: [SHA256.Implementation] =
        SHA256.Implementation.fastest == .hardware ? [.hardware, .portable] : [.portable]

    static func digest(_ bytes: [UInt8], _ implementation: SHA256.Implementation) -> SHA256.Digest {
        var hasher = SHA256(implementation: implementation)
        hasher.update(bytes)
        return hasher.finalize()
    }

    @Test(
        "known messages",
        arguments: implementations,
        [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
            ),
            (
                "The quick brown fox jumps over the lazy dog",
                "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
            ),
        ])
    func knownMessage(
        implementation: SHA256.Implementation, vector: (message: String, expected: String)
    ) {
        #expect(Self.digest(Array(vector.message.utf8), implementation).hex == vector.expected)
    }

    @Test("one million 'a'", arguments: implementations)
    func millionA(implementation: SHA256.Implementation) {
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(
            Self.digest(bytes, implementation).hex
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test(
        "incremental updates of every split give the one-shot digest", arguments: implementations,
        [1, 3, 55, 56, 63, 64, 65, 127])
    func incremental(implementation: SHA256.Implementation, split: Int) {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var hasher = SHA256(implementation: implementation)
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + split)
            hasher.update(bytes[index..<end])
            index = end
        }
        #expect(hasher.finalize() == Self.digest(bytes, .portable))
    }

    @Test(
        "the hardware and portable compression functions agree on every length 0–1,100 and random splits"
    )
    func implementationsAgree() {
        // no SHA extensions here: nothing to compare
        guard Self.implementations.count == 2 else { return }
        var generator = SystemRandomNumberGenerator()
        let data = (0..<1_100).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for length in 0...data.count {
            let message = Array(data[0..<length])
            let split = length == 0 ? 0 : Int.random(in: 0...length, using: &generator)
            var hardware = SHA256(implementation: .hardware)
            hardware.update(message[0..<split])
            hardware.update(message[split...])
            #expect(
                hardware.finalize() == Self.digest(message, .portable),
                "length \(length), split at \(split)")
        }
    }

    @Test(
        "whole messages in two pieces, one or two at a time, give the incremental digest: every length 0–300, every split point of the short ones",
        arguments: implementations)
    func wholeMessages(implementation: SHA256.Implementation) {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<700).map { _ in UInt8.random(in: 0...255, using: &generator) }
        data.withUnsafeBytes { raw in
            func piece(_ range: Range<Int>) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: raw[range])
            }
            for length in 0...300 {
                let expected = Self.digest(Array(data[0..<length]), .portable)
                // Every split of the short messages (the joined block, the padding in one or two blocks), some of the
                // longer ones.
                let splits =
                    length <= 140 ? Array(0...length) : [0, 1, 63, 64, 65, length / 2, length]
                for split in splits {
                    #expect(
                        SHA256.digest(
                            piece(0..<split), piece(split..<length), implementation: implementation)
                            == expected, "length \(length), split at \(split)")
                    // Beside a second message of another length and split, in either order.
                    let other = (length * 7 + split) % 400
                    let otherStart = 300
                    let otherSplit = other / 3
                    let expectedOther = Self.digest(
                        Array(data[otherStart..<(otherStart + other)]), .portable)
                    let otherPieces = (
                        piece(otherStart..<(otherStart + otherSplit)),
                        piece((otherStart + otherSplit)..<(otherStart + other))
                    )
                    let (first, second) = SHA256.digests(
                        (piece(0..<split), piece(split..<length)), otherPieces,
                        implementation: implementation)
                    #expect(first == expected, "pair: length \(length), split at \(split)")
                    #expect(second == expectedOther, "pair: other length \(other)")
                    let (third, fourth) = SHA256.digests(
                        otherPieces, (piece(0..<split), piece(split..<length)),
                        implementation: implementation)
                    #expect(third == expectedOther && fourth == expected, "pair reversed")
                }
            }
        }
    }

    @Test("hex without allocation: written and matched digit for digit")
    func hexHelpers() {
        let digest = SHA256.hash(Array("abc".utf8))
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(String(decoding: digest.hexBytes, as: UTF8.self) == expected)
        Array(expected.utf8).withUnsafeBytes { #expect(digest.matches(hex: $0)) }
        for position in [0, 31, 63] {
            var altered = Array(expected.utf8)
            altered[position] =
                altered[position] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            altered.withUnsafeBytes {
                #expect(!digest.matches(hex: $0), "digit \(position) changed")
            }
        }
        Array(expected.uppercased().utf8).withUnsafeBytes {
            #expect(!digest.matches(hex: $0), "uppercase is not the format")
        }
        Array(expected.utf8.dropLast()).withUnsafeBytes {
            #expect(!digest.matches(hex: $0), "63 digits")
        }
    }

    @Test(
        "padding boundaries (digests cross-checked with Python hashlib)",
        arguments: implementations,
        [
            // 55, 56 and 64 bytes of 0x00 (boundary cases of the one- and two-block padding)
            (55, "02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7"),
            (56, "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb"),
            (64, "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"),
        ])
    func zeros(implementation: SHA256.Implementation, vector: (count: Int, expected: String)) {
        #expect(
            Self.digest([UInt8](repeating: 0, count: vector.count), implementation).hex
                == vector.expected)
    }

    @Test(
        "eight hex digits at a time: every value back, every other byte refused in every position")
    func hexWords() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let value = UInt32.random(in: .min ... .max, using: &generator)
            let digits = Array(String(value, radix: 16).leftPadded(to: 8).utf8)
            #expect(Hex.word(digits.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) == value)
        }
        let valid = Set(Array("0123456789abcdef".utf8))
        for byte in UInt8.min...UInt8.max where !valid.contains(byte) {
            for position in 0..<8 {
                var digits = Array("0123abcd".utf8)
                digits[position] = byte
                #expect(
                    Hex.word(digits.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) == nil,
                    "byte \(byte) at \(position)")
            }
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
