import Testing

@testable import EventLog

@Suite("JSON strings written as the reference writes them")
struct JSONWriterTests {
    /// The rule, a byte at a time: printable ASCII other than a quote or a backslash goes in as it is.
    static func needsEscapeByBytes(_ bytes: [UInt8]) -> Bool {
        !bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
    }

    @Test(
        "the eight-bytes-at-a-time test agrees with the byte-at-a-time rule, at every length and place"
    )
    func needsEscape() {
        var generator = SystemRandomNumberGenerator()
        // Every byte value alone, at every position of a printable run of every length up to 24.
        for length in 1...24 {
            for position in 0..<length {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = UInt8(value)
                    let fast = bytes.withUnsafeBufferPointer { JSONWriter.needsEscape($0) }
                    if fast != Self.needsEscapeByBytes(bytes) {
                        Issue.record("byte \(value) at \(position) of \(length)")
                        return
                    }
                }
            }
        }
        // Random runs of bytes near the edges (0x1F/0x20, 0x21-0x23, 0x5B-0x5D, 0x7E-0x80).
        let edges: [UInt8] = [
            0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x80, 0xFF,
        ]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let bytes = (0..<length).map { _ in
                Bool.random(using: &generator)
                    ? UInt8.random(in: 0x20...0x7E, using: &generator)
                    : edges.randomElement(using: &generator) ?? 0
            }
            let fast = bytes.withUnsafeBufferPointer { JSONWriter.needsEscape($0) }
            #expect(fast == Self.needsEscapeByBytes(bytes), "\(bytes)")
            if fast != Self.needsEscapeByBytes(bytes) { return }
        }
    }
}
