extension JoinCounts {
    /// Every count, in the order a state file keeps them (format-spec/state.md); a new count is
    /// one entry here.
    nonisolated(unsafe) static let fields: [WritableKeyPath<JoinCounts, Int>] = [
        \.exposureRows, \.duplicateExposures, \.exposuresJoined, \.outcomeRows, \.outcomesJoined, \.orphanOutcomes,
        \.emptyExposures, \.incompleteExposures, \.incompleteOutcomes, \.incompleteAssignments, \.outcomesOnUnshownItems,
        \.outcomesBeforeExposure, \.assignmentRows, \.assignedRequests, \.assignedExposures,
    ]

    public func encode(to e: inout StateEncoder) { e.ints(JoinCounts.fields.map { self[keyPath: $0] }) }

    public init(from d: inout StateDecoder) throws(StateError) {
        let values = try d.tallies()
        guard values.count == JoinCounts.fields.count, values.allSatisfy({ $0 >= 0 }) else {
            throw d.invalid("join counts hold \(values.count) values, \(JoinCounts.fields.count) non-negative ones expected")
        }
        self.init()
        for (path, v) in zip(JoinCounts.fields, values) { self[keyPath: path] = v }
    }
}
