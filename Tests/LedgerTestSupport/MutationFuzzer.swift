import EventLog
import LedgerCore

/// A deterministic mutation fuzzer over valid event lines: byte flips, truncations, type changes, huge and
/// deeply nested values, invalid UTF-8, NUL bytes, numbers at the edges, duplicate keys, over-long lines.
public struct MutationFuzzer {
    private var random: SplitMix
    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        random = SplitMix(seed: seed)
    }

    mutating func next() -> UInt64 { random.next() }

    mutating func below(_ limit: Int) -> Int { random.int(0..<max(limit, 0)) }

    static let edgeNumbers = [
        "1e309", "-0", "1.0e-400", "123456789012345678901234567890", "-9223372036854775809",
        "9223372036854775807", "0.1e1", "1E+2", "-1", "3.5",
    ]
    static let oddValues = [
        "null", "true", "[]", "{}", "\"\"", "[[[[]]]]", "\"\\u0000\"", "\"\\ud800\"",
        "{\"a\":1,\"a\":2}",
    ]

    /// One mutant of `line`, and the name of the mutation.
    public mutating func mutate(_ line: String) -> (bytes: [UInt8], kind: String) {
        var bytes = Array(line.utf8)
        switch below(12) {
        case 0:
            for _ in 0..<(1 + below(3)) {
                bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: next())
            }
            return (bytes, "byte flips")
        case 1:
            return (Array(bytes.prefix(below(bytes.count))), "truncation")
        case 2:
            // Replace the value after a random colon with a value of another type.
            let colons = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") }
            guard let colon = colons.isEmpty ? nil : colons[below(colons.count)] else {
                return (bytes, "none")
            }
            var end = colon + 1
            var depth = 0
            var inString = false
            while end < bytes.count {
                let byte = bytes[end]
                if inString {
                    if byte == UInt8(ascii: "\\") {
                        end += 1
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    if depth == 0 { break }
                    depth -= 1
                } else if byte == UInt8(ascii: ","), depth == 0 {
                    break
                }
                end += 1
            }
            let replacement = Self.oddValues[below(Self.oddValues.count)]
            bytes.replaceSubrange(
                (colon + 1)..<min(end, bytes.count), with: Array(replacement.utf8))
            return (bytes, "type change")
        case 3:
            let huge = "\"" + String(repeating: "x", count: 50_000 + below(300_000)) + "\""
            return (Array(line.replacing("\"home\"", with: huge).utf8), "huge string")
        case 4:
            let depth = 30 + below(100)
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            return (Array(line.replacing("\"home\"", with: nested).utf8), "deep nesting")
        case 5:
            let position = below(bytes.count)
            bytes.insert(
                contentsOf: [
                    [0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80],
                ][below(5)], at: position)
            return (bytes, "invalid UTF-8")
        case 6:
            bytes.insert(0, at: below(bytes.count))
            return (bytes, "NUL byte")
        case 7:
            let number = Self.edgeNumbers[below(Self.edgeNumbers.count)]
            return (
                Array(
                    line.replacing("\"home\"", with: number).replacing(
                        "\"v\":1", with: "\"v\":\(number)"
                    ).utf8), "edge number"
            )
        case 8:
            return (
                Array(("{\"type\":\"visit.completed\"," + line.dropFirst()).utf8), "duplicate key"
            )
        case 9:
            let wide =
                "[" + (0..<(5_000 + below(20_000))).map(String.init).joined(separator: ",") + "]"
            return (Array(line.replacing("\"home\"", with: wide).utf8), "wide array")
        case 10:
            return (
                Array(
                    line.replacing(
                        "\"home\"", with: "\"" + String(repeating: "y", count: 1 << 20) + "\""
                    ).utf8), "over 1 MiB"
            )
        default:
            let members = (0..<(1 + below(40))).map { "\"m\($0)\":\($0)" }.joined(separator: ",")
            return (
                Array(
                    line.replacing("\"kind\":\"home\"", with: "\"kind\":\"home\",\(members)").utf8),
                "extra members"
            )
        }
    }
}
