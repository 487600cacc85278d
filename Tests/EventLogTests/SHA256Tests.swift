import EventLog
import Testing

@Suite("SHA-256 against the FIPS 180-4 / NIST CAVP vectors")
struct SHA256Tests {
    @Test(
        "known messages",
        arguments: [
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
            ("The quick brown fox jumps over the lazy dog", "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"),
        ])
    func knownMessage(message: String, expected: String) {
        #expect(SHA256.hash(Array(message.utf8)).hex == expected)
    }

    @Test("one million 'a'")
    func millionA() {
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hash(bytes).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("incremental updates of every split give the one-shot digest", arguments: [1, 3, 55, 56, 63, 64, 65, 127])
    func incremental(split: Int) {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var hasher = SHA256()
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + split)
            hasher.update(bytes[index..<end])
            index = end
        }
        #expect(hasher.finalize() == SHA256.hash(bytes))
    }

    @Test("padding boundaries (digests cross-checked with Python hashlib)", arguments: [
        // 55, 56 and 64 bytes of 0x00 (boundary cases of the one- and two-block padding)
        (55, "02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7"),
        (56, "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb"),
        (64, "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"),
    ])
    func zeros(count: Int, expected: String) {
        #expect(SHA256.hash([UInt8](repeating: 0, count: count)).hex == expected)
    }
}
