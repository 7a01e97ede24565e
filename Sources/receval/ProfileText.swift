import ColumnarFormat
import Engine
import Reports

/// `inspect`'s data summary as text and as JSON: what the dataset holds, before how it is stored.
extension DatasetProfile {
    static func time(_ micros: Int64?) -> String {
        guard let micros else { return "-" }
        return Timestamp(micros: micros, nanos: 0, offsetMinutes: 0).formatted()
    }

    /// A log-supplied string as a terminal shows it safely: quoted with JSON escapes when it is
    /// empty, has control characters (tabs, newlines, terminal escapes), edge spaces or commas.
    static func shown(_ s: String) -> String {
        let plain =
            !s.isEmpty && s.first != " " && s.last != " "
            && !s.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0 == "," || $0 == "\"" }
        return plain ? s : JSONValue.string(s).serialized(indent: false)
    }

    func text() -> String {
        let n = ReadableNumber.self
        func span(_ t: Table) -> String {
            t.rows == 0 ? "0 rows" : "\(n.count(t.rows)) rows, \(Self.time(t.first)) to \(Self.time(t.last))"
        }
        func share(_ part: Int, _ whole: Int) -> String { whole == 0 ? "n/a" : n.percent(Double(part) / Double(whole)) }
        var s = "\nsummary\n"
        s += "  exposures    \(span(exposures))\n"
        s += "               \(n.count(requests)) request ids, \(n.count(users)) users, \(n.count(items)) items\n"
        if exposures.rows > 0 {
            s += "               \(n.count(shownItems)) shown items (\(n.value(Double(shownItems) / Double(exposures.rows))) per exposure, "
            s += "at most \(n.count(maxItems)); \(n.count(emptyExposures)) empty lists)\n"
            s += "               latency on \(share(withLatency, exposures.rows)), error flag on \(share(withError, exposures.rows))"
            s += withError > 0 ? " (\(share(errors, withError)) errors)\n" : "\n"
        }
        s += "  outcomes     \(span(outcomes))"
        s +=
            eventTypes.isEmpty
            ? "\n" : "; " + eventTypes.map { "\(Self.shown($0.name)) \(n.count($0.rows))" }.joined(separator: ", ") + "\n"
        s += "  assignments  \(span(assignments))\n"
        for e in experiments {
            s +=
                "  experiment   \(Self.shown(e.experiment)): "
                + e.variants.map { "\(Self.shown($0.name)) \(n.count($0.rows))" }.joined(separator: ", ") + " rows\n"
        }
        if !contextKeys.isEmpty {
            s += "  context keys (share of exposures that hold the key; distinct values; top values by exposures)\n"
            let width = min(24, (contextKeys.map(\.key.count).max() ?? 0) + 2)
            for k in contextKeys {
                s +=
                    "    " + Self.shown(k.key).padding(width) + share(k.exposures, exposures.rows).padding(7)
                    + " \(n.count(k.distinctValues)) value\(k.distinctValues == 1 ? "" : "s"): "
                s += k.top.map { "\(Self.shown($0.value)) \(n.count($0.exposures))" }.joined(separator: ", ")
                s += k.distinctValues > k.top.count ? ", ...\n" : "\n"
            }
        }
        return s
    }

    var json: JSONValue {
        func table(_ t: Table) -> JSONValue {
            var m: [(String, JSONValue)] = [("rows", .number(Double(t.rows)))]
            if let f = t.first, let l = t.last { m += [("first_ts", .string(Self.time(f))), ("last_ts", .string(Self.time(l)))] }
            return .object(m)
        }
        return .object([
            ("exposures", table(exposures)), ("outcomes", table(outcomes)), ("assignments", table(assignments)),
            ("request_ids", .number(Double(requests))), ("users", .number(Double(users))), ("items", .number(Double(items))),
            ("shown_items", .number(Double(shownItems))), ("max_items", .number(Double(maxItems))),
            ("empty_exposures", .number(Double(emptyExposures))), ("with_latency", .number(Double(withLatency))),
            ("with_error_flag", .number(Double(withError))), ("errors", .number(Double(errors))),
            ("event_types", .object(eventTypes.map { ($0.name, .number(Double($0.rows))) })),
            (
                "experiments",
                .object(experiments.map { e in (e.experiment, .object(e.variants.map { ($0.name, .number(Double($0.rows))) })) })
            ),
            (
                "context_keys",
                .array(
                    contextKeys.map { k in
                        .object([
                            ("key", .string(k.key)), ("exposures", .number(Double(k.exposures))),
                            ("distinct_values", .number(Double(k.distinctValues))),
                            (
                                "top",
                                .array(k.top.map { .object([("value", .string($0.value)), ("exposures", .number(Double($0.exposures)))]) })
                            ),
                        ])
                    })
            ),
        ])
    }
}
