import ColumnarStorage

/// A scan's per-unit state as bytes, for a run whose users are taken in parts: each part is
/// scanned once, its units written to a scratch file (`SpillFile`) and read back for the unit
/// analysis's later sweeps, rather than scanned again. Only what those sweeps read is kept: the
/// scopes' per-unit sums, each unit's variant and guardrail counts, the pre-period scope.
extension ExperimentScan {
    /// The scan without its per-unit state: scopes keep their keys, with no units. What a run
    /// whose users are taken in parts keeps for recsys-eval's groups while its parts are swept.
    public func withoutUnits() -> ExperimentScan {
        var s = self
        s.unitScopes = unitScopes.map { UnitScope(key: $0.key) }
        s.unitKeys = []
        s.variantOfUnit = []
        s.unitErrors = []
        s.unitEmpties = []
        s.unitJoined = []
        s.preScope = nil
        s.unitCount = 0
        s.crossoverExposures = 0
        return s
    }

    /// The per-unit state in pieces (a scope each, in `unitScopes` order, then the per-unit
    /// columns), each handed to `write` as soon as it is made, so that no more than one scope's
    /// bytes are held at once; their concatenation is what `withUnits(from:)` reads.
    public func encodeUnits<E: Error>(_ write: (StateEncoder) throws(E) -> Void) throws(E) {
        var e = StateEncoder()
        e.count(unitScopes.count)
        for s in unitScopes {
            Self.encode(s, to: &e)
            try write(e)
            e = StateEncoder()
        }
        e.int32s(variantOfUnit)
        e.int32s(unitErrors)
        e.int32s(unitEmpties)
        e.int32s(unitJoined)
        e.bool(preScope != nil)
        if let preScope { Self.encode(preScope, to: &e) }
        try write(e)
    }

    /// This scan (its groups and scope keys) with the per-unit state `encodeUnits` wrote.
    /// Unit keys and crossover exposures are left out (empty and 0): the sweeps that read
    /// spilled parts do not use them.
    public func withUnits(from d: inout StateDecoder) throws(StateError) -> ExperimentScan {
        var s = self
        try d.count(unitScopes.count, of: "unit scopes")
        for i in unitScopes.indices { s.unitScopes[i] = try Self.decodeScope(key: unitScopes[i].key, from: &d) }
        s.variantOfUnit = try d.int32s()
        s.unitErrors = try d.int32s()
        s.unitEmpties = try d.int32s()
        s.unitJoined = try d.int32s()
        s.preScope = try d.bool() ? try Self.decodeScope(key: "pre_period", from: &d) : nil
        let units = s.variantOfUnit.count
        guard s.unitErrors.count == units, s.unitEmpties.count == units, s.unitJoined.count == units,
            (s.unitScopes + [s.preScope].compactMap { $0 }).allSatisfy({ $0.units.allSatisfy { $0 >= 0 && Int($0) < units } })
        else { throw d.invalid("per-unit columns of different lengths, or unit codes out of range") }
        s.unitKeys = []
        s.unitCount = units
        s.crossoverExposures = 0
        return s
    }

    private static func encode(_ s: UnitScope, to e: inout StateEncoder) {
        e.int32s(s.units)
        e.int32s(s.exposures)
        e.int32s(s.clicks)
        e.int32s(s.clickedRequests)
        e.int32s(s.conversions)
        e.doubles(s.revenue)
        e.int32s(s.covariateCount)
        e.doubles(s.covariateSum)
    }

    private static func decodeScope(key: String, from d: inout StateDecoder) throws(StateError) -> UnitScope {
        var s = UnitScope(key: key)
        s.units = try d.int32s()
        s.exposures = try d.int32s()
        s.clicks = try d.int32s()
        s.clickedRequests = try d.int32s()
        s.conversions = try d.int32s()
        s.revenue = try d.doubles()
        s.covariateCount = try d.int32s()
        s.covariateSum = try d.doubles()
        let n = s.units.count
        guard [s.exposures.count, s.clicks.count, s.clickedRequests.count, s.conversions.count, s.revenue.count].allSatisfy({ $0 == n }),
            s.covariateCount.count == s.covariateSum.count, s.covariateCount.isEmpty || s.covariateCount.count == n
        else { throw d.invalid("a unit scope's columns differ in length") }
        return s
    }
}
