import EventLog

/// The four built-in policy profiles (POLICIES.md), held as JSON documents: the same format a council uses to
/// adopt its own policy with `{"policy": {...}}`.
public enum PolicyProfiles {
    /// Profile names.
    public static let names = [
        "warwickshire-fsw", "strengthening-families", "leicestershire-early-help",
        "birmingham-family-support",
    ]

    /// The profile called `name`.
    public static func profile(_ name: String) -> Policy? { parsed[name] }

    /// The JSON document of a profile, for `ledger init --policy` and for users to copy and adapt.
    public static func document(_ name: String) -> String? { documents[name] }

    private static let parsed: [String: Policy] = {
        var table: [String: Policy] = [:]
        for (name, text) in documents {
            // The documents are part of the program; a failure here is a programmer error caught by the tests.
            guard let object = try? JSONParser.parse(text).objectValue,
                let policy = try? Policy(json: object)
            else {
                continue
            }
            table[name] = policy
        }
        return table
    }()

    static let documents: [String: String] = [
        "warwickshire-fsw": #"""
        {
          "name": "warwickshire-fsw",
          "title": "Warwickshire Family Support Work (FSW pathway and Early Help FSW offer)",
          "deadlines": [
            {"id": "allocate", "label": "Worker allocated within 5 working days of an accepted allocation",
             "from": "allocation.discussed[decision=accepted]", "to": "worker.allocated", "within": "5 working days",
             "source": "000"},
            {"id": "joint-visit", "label": "Joint SW/FSW visit within 5 working days of allocation",
             "from": "worker.allocated", "first": true, "to": "visit.completed[kind=joint-sw-fsw]",
             "within": "5 working days", "source": "000"},
            {"id": "action-plan", "label": "FSW action plan within 10 days of allocation",
             "from": "worker.allocated", "first": true, "to": "plan.agreed[kind=fsw-action-plan]", "within": "10 days",
             "extendable": "plan", "source": "000"},
            {"id": "plan-review", "label": "Plan reviewed by its review date, and within 8 weeks",
             "from": "plan.agreed", "to": "review.completed", "dueByField": "reviewBy", "within": "8 weeks",
             "source": "000"},
            {"id": "twelve-week-panel", "label": "Back to allocation panel at 12 weeks if still open",
             "from": "worker.allocated", "first": true, "to": "allocation.discussed", "within": "12 weeks",
             "source": "000"},
            {"id": "step-up-transition", "label": "Step-up transition ends in closure within 60 working days",
             "from": "stepup.decided[accepted=true]", "to": "case.closed", "within": "60 working days",
             "source": "001 §7.1.2"},
            {"id": "step-down-exit", "label": "Step-down support ends within 60 working days",
             "from": "level.changed[reason=step-down]", "to": "case.closed", "within": "60 working days",
             "source": "001 §7.2.2"}
          ],
          "recurring": [
            {"id": "quarterly-review", "label": "Review at least every 3 months", "event": "review.completed",
             "every": "3 months", "from": "worker.allocated", "source": "001 §4.1, §6.5.2"}
          ],
          "limits": [
            {"role": "fsw", "level": "complex-0-5", "min": 10, "max": 15, "unit": "families", "source": "001 Table 3"},
            {"role": "fsw", "level": "complex", "min": 10, "max": 15, "unit": "families", "source": "001 Table 3"},
            {"role": "fsw", "level": "complex-intensive", "min": 6, "max": 8, "unit": "families", "source": "001 Table 3"},
            {"role": "fsw", "min": 10, "max": 15, "unit": "families", "source": "001 Table 3"}
          ],
          "durations": [
            {"id": "duration", "label": "Complex work open at most 12 months", "level": "complex-0-5",
             "max": "12 months", "source": "001 §4.1"},
            {"id": "duration", "label": "Complex work open at most 12 months", "level": "complex",
             "max": "12 months", "source": "001 §4.1"},
            {"id": "duration", "label": "Complex work open at most 12 months", "level": "complex-intensive",
             "max": "12 months", "source": "001 §4.1"}
          ],
          "triage": {"id": "triage", "label": "Referral triaged by the Early Help Officer (no timescale set)",
            "source": "001 §6.2.1"},
          "closure": {"needsManager": false, "source": "000"},
          "retention": [
            {"id": "retention", "label": "Kept until the youngest child is 25, and 6 years after the last closure",
             "keepUntil": "later of: youngest-child-dob + 25 years, last-closure + 6 years",
             "source": "DATA-PROTECTION.md (DOB+25, CASE+6: Limitation Act 1980)"}
          ],
          "pbr": {"attachment": {"complex-0-5": 2, "complex": 4, "complex-intensive": 4}}
        }
        """#,
        "strengthening-families": #"""
        {
          "name": "strengthening-families",
          "title": "Warwickshire Strengthening Families (child in need)",
          "deadlines": [
            {"id": "interim-plan", "label": "Interim CiN plan or CiN plan within 10 working days of the single assessment",
             "from": "assessment.completed[kind=single-assessment]",
             "to": ["plan.agreed[kind=interim-cin-plan]", "plan.agreed[kind=cin-plan]"], "within": "10 working days",
             "extendable": "plan", "source": "003 §9.1"},
            {"id": "cin-meeting", "label": "CiN meeting within 20 working days of the single assessment",
             "from": "assessment.completed[kind=single-assessment]", "to": "meeting.attended[kind=cin-meeting]",
             "within": "20 working days", "source": "003 §9.2"},
            {"id": "plan-distributed", "label": "CiN plan distributed within 5 working days of the CiN meeting",
             "from": "meeting.attended[kind=cin-meeting]", "to": "plan.distributed", "within": "5 working days",
             "source": "003 §9.8, §10.5"},
            {"id": "step-down-support", "label": "Step-down support ends within 6 weeks",
             "from": "level.changed[reason=step-down]", "to": "case.closed", "within": "6 weeks", "source": "003 §17.2"}
          ],
          "recurring": [
            {"id": "cin-review", "label": "CiN review at least every 6 weeks", "event": "review.completed",
             "every": "6 weeks", "from": "plan.agreed", "source": "003 §10.2"},
            {"id": "cin-visit", "label": "Visit at least every 3 weeks (or as the plan says, if more often)",
             "event": "visit.completed", "every": "3 weeks", "from": "worker.allocated",
             "everyDaysField": "visitEveryDays", "source": "003 §9.5, §11.1"}
          ],
          "limits": [
            {"role": "social-worker", "min": 0, "max": 40, "unit": "children", "source": "003 §4.1"},
            {"role": "fsw", "min": 0, "max": 16, "unit": "children", "source": "003 §4.4 (15, 16 at most)"}
          ],
          "durations": [
            {"id": "sixteen-weeks", "label": "CiN work: review at 16 weeks; over 6 months needs management oversight",
             "level": "cin", "warnAt": "16 weeks", "max": "6 months",
             "justifiedBy": ["supervision.recorded", "extension.agreed"], "justifiedByRoles": ["team-manager"],
             "source": "003 §4.6"}
          ],
          "retention": [
            {"id": "retention", "label": "Kept until the youngest child is 25, and 6 years after the last closure",
             "keepUntil": "later of: youngest-child-dob + 25 years, last-closure + 6 years",
             "source": "DATA-PROTECTION.md (DOB+25, CASE+6: Limitation Act 1980)"}
          ],
          "flags": [
            {"id": "re-referral", "label": "Re-referral within 12 weeks of closure", "kind": "re-referral",
             "within": "12 weeks", "source": "003 §6.1c"}
          ],
          "triage": {"id": "triage", "label": "Referral reviewed at the weekly workflow meeting (no timescale set)",
            "source": "003 §6.1"},
          "closure": {"needsManager": true, "source": "003 §16.4"},
          "pbr": {}
        }
        """#,
        "leicestershire-early-help": #"""
        {
          "name": "leicestershire-early-help",
          "title": "Leicestershire Early Help (brief, targeted and intensive intervention)",
          "deadlines": [
            {"id": "first-contact", "label": "First contact with the family within the triage outcome's timescale",
             "from": "triage.completed", "to": ["contact.attempted", "engagement.started"],
             "withinByOutcome": {"1": "28 days", "2": "28 days", "3": "2 working days", "4": "5 working days",
               "5": "10 working days", "6": "10 working days", "7": "2 working days", "8": "10 working days",
               "11": "10 working days", "12": "15 working days", "13": "2 working days", "14": "15 working days",
               "15": "5 working days", "16": "5 working days"},
             "toByOutcome": {"15": "case.closed", "16": "case.closed"},
             "extendable": "contact", "source": "004 §1 table"},
            {"id": "referrer-contact", "label": "Referrer contacted within 5 working days of allocation",
             "from": "worker.allocated", "first": true, "to": "referrer.contacted", "within": "5 working days",
             "source": "004 §4"},
            {"id": "assessment", "label": "Family Star assessment within 6 weeks of engagement (targeted, intensive)",
             "from": "engagement.started", "first": true, "levels": ["targeted", "intensive"],
             "to": "assessment.completed[kind=family-star]",
             "within": "6 weeks", "extendable": "assessment", "source": "004 §7, §11"},
            {"id": "assessment", "label": "Signs of Wellbeing assessment within 6 weeks of engagement (brief)",
             "from": "engagement.started", "first": true, "levels": ["brief"],
             "to": "assessment.completed[kind=signs-of-wellbeing]",
             "within": "6 weeks", "extendable": "assessment", "source": "004 §7, §11"},
            {"id": "plan", "label": "Plan agreed within 6 weeks of engagement", "from": "engagement.started",
             "first": true, "to": "plan.agreed", "within": "6 weeks", "extendable": "plan", "source": "004 §7"},
            {"id": "case-summary", "label": "Case summary within 4 months of engagement",
             "from": "engagement.started", "first": true, "to": "case-summary.completed", "within": "4 months",
             "source": "004 §14"}
          ],
          "recurring": [
            {"id": "review", "label": "Review every 6 weeks (targeted) or 12 weeks (intensive)",
             "event": "review.completed", "every": "6 weeks", "everyByLevel": {"targeted": "6 weeks", "intensive": "12 weeks"},
             "from": "plan.agreed", "levels": ["targeted", "intensive"], "source": "004 §7, §13"},
            {"id": "case-summary-recurring", "label": "Case summary every 3 months after the first",
             "event": "case-summary.completed", "every": "3 months", "from": "case-summary.completed",
             "source": "004 §14"}
          ],
          "durations": [
            {"id": "duration", "label": "Brief intervention at most 6 weeks", "level": "brief", "max": "6 weeks",
             "source": "004 App. I"},
            {"id": "duration", "label": "Targeted intervention at most 4 months", "level": "targeted",
             "max": "4 months", "source": "004 App. II"},
            {"id": "duration", "label": "Intensive intervention at most 12 months", "level": "intensive",
             "max": "12 months", "source": "004 App. III"}
          ],
          "contactStandard": {"id": "contact-standard",
            "label": "Contact standard before closing a family who never engaged",
            "phoneDays": 5, "texts": 5, "coldCalls": 1, "coldCallsIntensive": 2, "spanDays": 21,
            "letterLevels": ["targeted", "intensive"], "closeReasons": ["refused", "disengaged"],
            "source": "004 §5, App. II–III"},
          "triage": {"id": "triage", "label": "New work triaged by the team leader (no timescale set)",
            "source": "004 §1"},
          "closure": {"needsManager": true, "reviewWithinDays": 14, "reviewLevels": ["targeted", "intensive"],
            "minimumRequirements": true, "source": "004 §9, §20"},
          "retention": [
            {"id": "retention", "label": "Kept until the youngest child is 25, and 6 years after the last closure",
             "keepUntil": "later of: youngest-child-dob + 25 years, last-closure + 6 years",
             "source": "DATA-PROTECTION.md (DOB+25, CASE+6: Limitation Act 1980)"}
          ],
          "flags": [],
          "pbr": {"attachment": {}, "presumeAttached": ["targeted", "intensive"]}
        }
        """#,
        "birmingham-family-support": #"""
        {
          "name": "birmingham-family-support",
          "title": "Birmingham Family Support (step up and step down with Children's Social Care)",
          "deadlines": [
            {"id": "step-up", "label": "Stepped-up case closed to Family Support within 5 working days",
             "from": "stepup.decided[accepted=true]", "to": "case.closed[reason=stepped-up]",
             "within": "5 working days", "source": "002 §3 Step Up"}
          ],
          "retention": [
            {"id": "retention", "label": "Kept until the youngest child is 25, and 6 years after the last closure",
             "keepUntil": "later of: youngest-child-dob + 25 years, last-closure + 6 years",
             "source": "DATA-PROTECTION.md (DOB+25, CASE+6: Limitation Act 1980)"}
          ],
          "flags": [
            {"id": "step-down-entry", "label": "Step-down needs a completed plan, a closure summary and consent",
             "kind": "step-down-entry", "source": "002 §3 Step Down"},
            {"id": "cp-step-down", "label": "CP plans step down only after 3 months as CiN", "kind": "cp-step-down",
             "source": "002 §2"}
          ],
          "triage": {"id": "triage", "label": "Request for support triaged (no timescale set)",
            "source": "002 §1"},
          "closure": {"needsManager": true, "source": "002 §3"},
          "pbr": {}
        }
        """#,
    ]
}
