import ColumnarFormat
import ColumnarStorage

/// What a dataset holds, as a person first asks (DuckDB's SUMMARIZE for recommender logs): per
/// table its rows and time range; exposures' items per request, latency and error coverage;
/// outcome event types; experiments with their variants; context keys with their top values.
///
/// One pass per partition into counters indexed by dictionary code, merged by addition, so the
/// answer does not depend on threads or partitions. State: a few counters per context value,
/// event type and (experiment, variant) pair; nothing per exposure, item or user.
public struct DatasetProfile: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public var rows = 0
        /// Earliest and latest `ts` (UTC microseconds); nil when the table is empty.
        public var first: Int64?
        public var last: Int64?

        mutating func add(_ other: Table) {
            rows += other.rows
            if let f = other.first { first = min(first ?? f, f) }
            if let l = other.last { last = max(last ?? l, l) }
        }
    }

    public struct ContextKey: Sendable, Equatable {
        public var key: String
        /// Exposures whose context holds the key.
        public var exposures: Int
        public var distinctValues: Int
        /// The most frequent values, most first (ties by value), with their exposure counts.
        public var top: [Value]

        public struct Value: Sendable, Equatable {
            public var value: String
            public var exposures: Int
        }
    }

    /// A name with its row count (an event type, a variant).
    public struct Rows: Sendable, Equatable {
        public var name: String
        public var rows: Int
    }

    public struct Experiment: Sendable, Equatable {
        public var experiment: String
        /// Assignment rows per variant, in name order.
        public var variants: [Rows]
    }

    public var exposures = Table()
    public var outcomes = Table()
    public var assignments = Table()
    /// Distinct request ids (each partition's dictionary), users and items (dataset dictionaries).
    public var requests = 0
    public var users = 0
    public var items = 0
    /// Shown items over all exposures, and the largest list.
    public var shownItems = 0
    public var maxItems = 0
    public var emptyExposures = 0
    public var withLatency = 0
    public var withError = 0
    public var errors = 0
    /// Outcome rows per event type, most first.
    public var eventTypes: [Rows] = []
    /// Assignment rows per experiment and variant, in name order.
    public var experiments: [Experiment] = []
    public var contextKeys: [ContextKey] = []

    /// One partition's counters, indexed by dictionary code.
    struct Partial: Sendable {
        var exposures = Table()
        var outcomes = Table()
        var assignments = Table()
        var shownItems = 0
        var maxItems = 0
        var emptyExposures = 0
        var withLatency = 0
        var withError = 0
        var errors = 0
        var events: [Int]
        /// experiment code * variants + variant code.
        var arms: [Int]
        /// Exposures per context key, and per (key, value) pair packed as key * values + value.
        var keyRows: [Int]
        var pairs: [Int: Int] = [:]
    }

    /// Profiles `reader` on `threads` threads; `topValues` values are kept per context key. The
    /// dataset's stored text is checked first (`ContentCheck`): a profile describes the whole file.
    public static func compute(reader: DatasetReader, threads: Int, topValues: Int = 5) throws -> DatasetProfile {
        precondition(topValues >= 0, "topValues is a count")
        try ContentCheck.run(reader: reader, threads: threads)
        let keyNames = try reader.dictionary("context_key")
        let valueNames = try reader.dictionary("context_value")
        let eventNames = try reader.dictionary("event_type")
        let experimentNames = try reader.dictionary("experiment_id")
        let variantNames = try reader.dictionary("variant")
        let nValues = valueNames.count
        let nVariants = variantNames.count
        let parts = try Morsels.partitions(of: reader, threads: threads) { p -> Partial in
            var part = Partial(
                events: [Int](repeating: 0, count: eventNames.count), arms: [Int](repeating: 0, count: experimentNames.count * nVariants),
                keyRows: [Int](repeating: 0, count: keyNames.count))
            var load = ColumnLoader(reader: reader, partition: p)
            func span(_ table: String) throws -> Table {
                let ts = try load.int64(table, "ts_us")
                return Table(rows: ts.count, first: ts.min(), last: ts.max())
            }
            part.exposures = try span("exposures")
            part.outcomes = try span("outcomes")
            part.assignments = try span("assignments")
            let itemCounts = try load.counts("exposures", "item_count")
            for n in itemCounts {
                part.shownItems += Int(n)
                part.maxItems = max(part.maxItems, Int(n))
                if n == 0 { part.emptyExposures += 1 }
            }
            part.withLatency = try load.bool("exposures", "latency_ms_present").reduce(0) { $0 + Int($1) }
            let errorPresent = try load.bool("exposures", "error_present")
            let error = try load.bool("exposures", "error")
            part.withError = errorPresent.reduce(0) { $0 + Int($1) }
            for (present, e) in zip(errorPresent, error) where present != 0 && e != 0 { part.errors += 1 }
            for e in try load.int32("outcomes", "event_type", bound: eventNames.count) { part.events[Int(e)] += 1 }
            let experiments = try load.int32("assignments", "experiment_id", bound: experimentNames.count)
            let variants = try load.int32("assignments", "variant", bound: nVariants)
            for (e, v) in zip(experiments, variants) { part.arms[Int(e) * nVariants + Int(v)] += 1 }
            let pairCounts = try load.counts("exposures", "context_count")
            let keys = try load.int32("exposures", "context_key", bound: keyNames.count)
            let values = try load.int32("exposures", "context_value", bound: nValues)
            var at = 0
            var seen: [Int32] = []
            for n in pairCounts {
                // A key repeated in one context counts once for the exposure.
                seen.removeAll(keepingCapacity: true)
                for i in at..<(at + Int(n)) {
                    let k = keys[i]
                    if !seen.contains(k) {
                        seen.append(k)
                        part.keyRows[Int(k)] += 1
                        part.pairs[Int(k) * nValues + Int(values[i]), default: 0] += 1
                    }
                }
                at += Int(n)
            }
            return part
        }
        var profile = DatasetProfile()
        var events = [Int](repeating: 0, count: eventNames.count)
        var arms = [Int](repeating: 0, count: experimentNames.count * nVariants)
        var keyRows = [Int](repeating: 0, count: keyNames.count)
        var pairs: [Int: Int] = [:]
        for part in parts {
            profile.exposures.add(part.exposures)
            profile.outcomes.add(part.outcomes)
            profile.assignments.add(part.assignments)
            profile.shownItems += part.shownItems
            profile.maxItems = max(profile.maxItems, part.maxItems)
            profile.emptyExposures += part.emptyExposures
            profile.withLatency += part.withLatency
            profile.withError += part.withError
            profile.errors += part.errors
            for i in events.indices { events[i] += part.events[i] }
            for i in arms.indices { arms[i] += part.arms[i] }
            for i in keyRows.indices { keyRows[i] += part.keyRows[i] }
            pairs.merge(part.pairs, uniquingKeysWith: +)
        }
        profile.requests = reader.footer.partitions.reduce(0) { $0 + Int($1.requestDictionary.count) }
        profile.users = try reader.dictionary("user_id").count
        profile.items = try reader.dictionary("item_id").count
        for i in events.indices where events[i] > 0 { profile.eventTypes.append(Rows(name: eventNames.string(i), rows: events[i])) }
        profile.eventTypes.sort { ($0.rows, $1.name) > ($1.rows, $0.name) }
        for e in 0..<experimentNames.count {
            var vs: [Rows] = []
            for v in 0..<nVariants where arms[e * nVariants + v] > 0 {
                vs.append(Rows(name: variantNames.string(v), rows: arms[e * nVariants + v]))
            }
            if !vs.isEmpty { profile.experiments.append(Experiment(experiment: experimentNames.string(e), variants: vs)) }
        }
        var byKey = [[(value: Int, rows: Int)]](repeating: [], count: keyNames.count)
        for (packed, rows) in pairs { byKey[packed / max(nValues, 1)].append((packed % max(nValues, 1), rows)) }
        profile.contextKeys = keyRows.indices.filter { keyRows[$0] > 0 }.map { k in
            let values = byKey[k].map { ContextKey.Value(value: valueNames.string($0.value), exposures: $0.rows) }
                .sorted { ($0.exposures, $1.value) > ($1.exposures, $0.value) }
            return ContextKey(
                key: keyNames.string(k), exposures: keyRows[k], distinctValues: values.count, top: Array(values.prefix(topValues)))
        }
        return profile
    }
}
