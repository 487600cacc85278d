import EventLog

/// Stored lines (without newlines), hash-chained again after an edit: each line's `prev` set to the hash of the
/// line before and its `hash` recomputed over its body, as a forger who knows the format would (tests of lines in
/// another valid shape, and of what the chain alone cannot see). A line's `dataHash` is left as it is. The body
/// is everything before the first `,"hash":"`, which must end with the `prev` member.
public func rechained(_ lines: [String]) -> [String] {
    var previous = LineFormat.genesisHash
    return lines.map { line in
        guard let marker = line.firstRange(of: #","hash":""#) else { return line }
        var body = String(line[..<marker.lowerBound])
        guard body.hasSuffix("\""), body.count > 66 else { return line }
        body = String(body.dropLast(65)) + previous + "\""
        let hash = SHA256.hash(Array(body.utf8)).hex
        previous = hash
        let rest = line[marker.upperBound...].dropFirst(64)
        return body + #","hash":""# + hash + rest
    }
}

/// The SHA-256 (hex) of salt and data, for a test that edits a line's data and its `dataHash` to match.
public func dataHash(salt: String, data: String) -> String {
    SHA256.hash(Array((salt + data).utf8)).hex
}
