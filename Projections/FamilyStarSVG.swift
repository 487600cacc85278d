import LedgerCore

/// The Family Star drawn as Outcomes Star users know it: ten spokes scored 1–10, the first assessment against
/// the latest review.
public enum FamilyStarSVG {
    /// Unit vectors of the ten spokes, clockwise from the top (precomputed: the output must be the same bytes
    /// on every machine).
    static let spokes: [(Double, Double)] = [
        (0, -1), (0.587785, -0.809017), (0.951057, -0.309017), (0.951057, 0.309017), (0.587785, 0.809017),
        (0, 1), (-0.587785, 0.809017), (-0.951057, 0.309017), (-0.951057, -0.309017), (-0.587785, -0.809017),
    ]
    static let labels = [
        "Physical health", "Your well-being", "Meeting emotional needs", "Keeping your children safe",
        "Social networks", "Education and learning", "Boundaries and behaviour", "Family routine",
        "Progress to work", "Home and money",
    ]
    static let centre = 200.0
    static let radius = 130.0

    /// One decimal, fixed.
    static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    /// The polygon points for scores (1–10) in domain order.
    public static func points(_ scores: [Int]) -> String {
        var out = ""
        for (index, score) in zip(spokes.indices, scores) {
            if index > 0 { out += " " }
            out += spokePoints[index][min(max(score, 0), 10)]
        }
        return out
    }

    /// Each spoke's point ("x,y") at each score from 0 to 10: made once, not for every star drawn.
    static let spokePoints: [[String]] = spokes.map { spoke in
        (0...10).map { score in
            let r = radius * Double(score) / 10
            return "\(format(centre + spoke.0 * r)),\(format(centre + spoke.1 * r))"
        }
    }

    /// The rings, spokes and labels: the same on every star, so drawn once.
    static let frame: String = {
        var out = ""
        for ring in stride(from: 2, through: 10, by: 2) {
            out += "<polygon class=\"ring\" points=\"\(points(Array(repeating: ring, count: 10)))\"/>"
        }
        for (index, spoke) in spokes.enumerated() {
            let x = centre + spoke.0 * radius
            let y = centre + spoke.1 * radius
            out += "<line class=\"spoke\" x1=\"\(format(centre))\" y1=\"\(format(centre))\" x2=\"\(format(x))\" y2=\"\(format(y))\"/>"
            let lx = centre + spoke.0 * (radius + 22)
            let ly = centre + spoke.1 * (radius + 22)
            let anchor = spoke.0 > 0.1 ? "start" : spoke.0 < -0.1 ? "end" : "middle"
            out += "<text x=\"\(format(lx))\" y=\"\(format(ly))\" text-anchor=\"\(anchor)\">\(HTML.escape(labels[index]))</text>"
        }
        return out
    }()

    /// The SVG, with a title and description for screen readers.
    public static func svg(first: StarReading?, latest: StarReading?) -> String {
        var out = #"<svg class="star" viewBox="0 0 400 400" role="img" aria-labelledby="star-title star-desc" xmlns="http://www.w3.org/2000/svg">"#
        out += #"<title id="star-title">Family Star</title>"#
        let describe: (StarReading?) -> String = { reading in
            guard let reading else { return "none" }
            var text = ""
            for (index, (label, score)) in zip(labels, reading.scores).enumerated() {
                if index > 0 { text += ", " }
                text += label
                text += " "
                text += String(score)
            }
            return text
        }
        out += "<desc id=\"star-desc\">First assessment (\(HTML.escape(first.map { $0.date.description } ?? "none"))): \(HTML.escape(describe(first))). Latest (\(HTML.escape(latest.map { $0.date.description } ?? "none"))): \(HTML.escape(describe(latest))).</desc>"
        out += frame
        if let first {
            out += "<polygon class=\"first\" points=\"\(points(first.scores))\"><title>First: \(HTML.escape(first.date.description))</title></polygon>"
        }
        if let latest {
            out += "<polygon class=\"latest\" points=\"\(points(latest.scores))\"><title>Latest: \(HTML.escape(latest.date.description))</title></polygon>"
        }
        out += "</svg>"
        return out
    }
}
