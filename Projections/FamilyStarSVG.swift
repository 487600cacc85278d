import LedgerCore

/// The Family Star drawn as Outcomes Star users know it: ten spokes scored 1–10, the first assessment against
/// the latest review.
public enum FamilyStarSVG {
    /// Unit vectors of the ten spokes, clockwise from the top (precomputed: the output must be the same bytes
    /// on every machine).
    static let spokes: [(Double, Double)] = [
        (0, -1), (0.587785, -0.809017), (0.951057, -0.309017), (0.951057, 0.309017),
        (0.587785, 0.809017),
        (0, 1), (-0.587785, 0.809017), (-0.951057, 0.309017), (-0.951057, -0.309017),
        (-0.587785, -0.809017),
    ]
    static let labels = [
        "Physical health", "Your well-being", "Meeting emotional needs",
        "Keeping your children safe",
        "Social networks", "Education and learning", "Boundaries and behaviour", "Family routine",
        "Progress to work", "Home and money",
    ]
    static let centre = 200.0
    static let radius = 130.0
    /// From the end of a spoke to its label.
    static let labelGap = 16.0
    /// The labels' size and line height, in the drawing's units (set on the drawing, not by the page's style).
    public static let fontSize = 13.0
    static let lineHeight = 15.0
    /// Wider than the star so the labels at the sides fit at every width the drawing is scaled to (it was 400
    /// wide, and "Keeping your children safe", starting at x=344.6, was cut off).
    public static let viewBox = "-80 0 560 400"

    /// A label as one line, or as two split at the space that makes the longer line shortest when it is longer
    /// than 16 characters ("Keeping your" / "children safe").
    public static func labelLines(_ label: String) -> [String] {
        guard label.count > 16 else { return [label] }
        let words = label.split(separator: " ").map(String.init)
        guard words.count > 1 else { return [label] }
        var best = [label]
        var longest = label.count
        for cut in 1..<words.count {
            let head = words[..<cut].joined(separator: " ")
            let tail = words[cut...].joined(separator: " ")
            if max(head.count, tail.count) < longest {
                longest = max(head.count, tail.count)
                best = [head, tail]
            }
        }
        return best
    }

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

    /// The rings, spokes and labels: the same on every star, so drawn once, in a file of their own that every
    /// star shows under its readings (`frameFile`).
    static let frame: String = {
        var out = ""
        for ring in stride(from: 2, through: 10, by: 2) {
            out +=
                "<polygon class=\"ring\" points=\"\(points(Array(repeating: ring, count: 10)))\"/>"
        }
        for (index, spoke) in spokes.enumerated() {
            let x = centre + spoke.0 * radius
            let y = centre + spoke.1 * radius
            out +=
                "<line class=\"spoke\" x1=\"\(format(centre))\" y1=\"\(format(centre))\" x2=\"\(format(x))\" y2=\"\(format(y))\"/>"
            let lx = centre + spoke.0 * (radius + labelGap)
            let ly = centre + spoke.1 * (radius + labelGap)
            // Labels on the right start at their spoke and run outwards, those on the left end at theirs, those
            // at the top and bottom are centred: each runs away from the drawing, inside the widened viewBox.
            let anchor = spoke.0 > 0.1 ? "start" : spoke.0 < -0.1 ? "end" : "middle"
            let lines = labelLines(labels[index])
            // The first line's baseline: above the point at the top, below it at the bottom, centred at the sides.
            let first =
                spoke.1 < -0.9
                ? -Double(lines.count - 1) * lineHeight
                : spoke.1 > 0.9
                    ? fontSize * 0.8
                    : -Double(lines.count - 1) * lineHeight / 2 + fontSize * 0.35
            out +=
                "<text x=\"\(format(lx))\" y=\"\(format(ly + first))\" text-anchor=\"\(anchor)\">"
            for (number, line) in lines.enumerated() {
                out +=
                    "<tspan x=\"\(format(lx))\"\(number == 0 ? "" : " dy=\"\(format(lineHeight))\"")>\(HTML.escape(line))</tspan>"
            }
            out += "</text>"
        }
        return out
    }()

    /// The frame's file name, beside the folder's style sheet.
    public static let frameFileName = "star-frame.svg"

    /// The frame as a drawing of its own: the rings, spokes and labels every star shares, 2.5 KB of each family
    /// page's drawing when each carried its own (57 MB of a 41k-family folder). A drawing shown as an image takes
    /// no style from the page, so it carries its own, the page's colours and type.
    public static let frameFile: [UInt8] = Array(
        """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="\(viewBox)" width="560" height="400" font-size="\(format(fontSize))">\
        <style>text{fill:#5b6470;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}\
        .ring{fill:none;stroke:#e1e5ea}.spoke{stroke:#c3c9d1}</style>\(frame)</svg>

        """.utf8)

    /// The SVG; its frame is the image at `frameHref` (`frameFile`). Screen readers hear its title and the element
    /// `describedBy` names: the page's table of both readings' scores, which says all the drawing does (a
    /// description inside the drawing said it again, 0.5 KB of each family page).
    public static func svg(
        first: StarReading?, latest: StarReading?, frameHref: String, describedBy: String
    ) -> String {
        var out =
            "<svg class=\"star\" viewBox=\"\(viewBox)\" font-size=\"\(format(fontSize))\" role=\"img\" aria-labelledby=\"star-title\" aria-describedby=\"\(HTML.escape(describedBy))\" xmlns=\"http://www.w3.org/2000/svg\">"
        out += #"<title id="star-title">Family Star</title>"#
        let box = viewBox.split(separator: " ")
        out +=
            "<image href=\"\(HTML.escape(frameHref))\" x=\"\(box[0])\" y=\"\(box[1])\" width=\"\(box[2])\" height=\"\(box[3])\"/>"
        if let first {
            out +=
                "<polygon class=\"first\" points=\"\(points(first.scores))\"><title>First: \(HTML.escape(first.date.description))</title></polygon>"
        }
        if let latest {
            out +=
                "<polygon class=\"latest\" points=\"\(points(latest.scores))\"><title>Latest: \(HTML.escape(latest.date.description))</title></polygon>"
        }
        out += "</svg>"
        return out
    }
}
