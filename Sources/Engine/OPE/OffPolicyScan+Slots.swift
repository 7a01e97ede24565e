#if canImport(Glibc)
    import Glibc
#endif

extension OffPolicyScan {
    /// `1 / log2(rank + 1)` for ranks 1...256 (index = rank), the same doubles `log2` gives: the
    /// position discount without a logarithm per item.
    static let rankDiscount: [Double] = (0...256).map { $0 == 0 ? .nan : 1 / log2(Double($0) + 1) }

    /// The log2 position discount of a rank (>= 1).
    @inline(__always)
    static func discount(rank: Int64) -> Double {
        rank <= 256 ? rankDiscount[Int(rank)] : 1 / log2(Double(rank) + 1)
    }

    /// recsys-eval's sample of item j of an exposure record (SPEC §9.1), if it is one: an item
    /// needs a positive logging propensity and a target propensity (or, with
    /// `allowMissingTarget`, takes the logging one). Returns its weight π_e/π_0 clipped at
    /// `clipping` and its position weight; near-zero and missing propensities and clipping are
    /// counted in `counts`.
    @inline(__always)
    static func compatSample(_ d: PartitionData, _ j: Int, _ o: Options, _ counts: inout Compat) throws -> (w: Double, q: Double)? {
        guard let lp = logging(d, j), lp > 0 else { return nil }
        if lp < o.minPropensity { counts.nearZero += 1 }
        var tp = lp
        if d.tgtPresent[j] != 0 {
            tp = d.tgt[j]
        } else {
            counts.missingTarget += 1
            if !o.allowMissingTarget { return nil }
        }
        if tp < o.minPropensity { counts.nearZero += 1 }
        var q = 1.0
        if o.log2Discount {
            guard d.rank[j] > 0 else { throw OffPolicyError.rankNotPositive(rank: d.rank[j]) }
            q = discount(rank: d.rank[j])
        }
        var w = tp / lp
        if o.clipping > 0 && w > o.clipping {
            w = o.clipping
            counts.clipped += 1
        }
        return (w, q)
    }

    /// One exposure record's request-unit sample: the mean of its item weights, clipped again.
    @inline(__always)
    static func compatRequestWeight(sum: Double, count: Int, _ o: Options) -> Double? {
        guard count > 0 else { return nil }
        var w = sum / Double(count)
        if o.clipping > 0 && w > o.clipping { w = o.clipping }
        return w
    }

    /// recsys-eval's valid items of one exposure record (`compatSample`), in slate order: for
    /// each, `item(j, w, q)` gets the item index, its clipped weight and its position weight.
    /// Returns the record's weight as one request-unit sample; nil without a valid item.
    ///
    /// Both passes enumerate samples through `compatSample`, so the weights pass one counts are
    /// the weights pass two uses.
    @inline(__always)
    static func compatItems(
        _ d: PartitionData, _ slate: UnsafeBufferPointer<Int>, _ o: Options, _ counts: inout Compat, _ item: (Int, Double, Double) -> Void
    ) throws -> Double? {
        var sumW = 0.0
        var nW = 0
        for j in slate {
            guard let (w, q) = try compatSample(d, j, o, &counts) else { continue }
            item(j, w, q)
            sumW += w
            nW += 1
        }
        return compatRequestWeight(sum: sumW, count: nW, o)
    }

    /// receval's valid slot of item j (docs/ope.md), if it is one: a slot needs a target
    /// propensity (or, with `allowMissingTarget`, the logging one) and a positive logging
    /// propensity; a positive target where the logging propensity is zero, negative or missing
    /// is a support violation. A negative target propensity (kept only in recsys-eval-runtime
    /// datasets) is no probability: the slot is left out and counted with the missing targets.
    /// Returns the slot's weight π_e/π_0, which also goes to `diagnostics`.
    @inline(__always)
    static func validSlot(_ d: PartitionData, _ j: Int, _ o: Options, _ diagnostics: inout Scope.Diagnostics) -> Double? {
        let lpOpt = logging(d, j)
        var tpOpt: Double? = d.tgtPresent[j] != 0 ? d.tgt[j] : nil
        if let tp = tpOpt, tp < 0 {
            diagnostics.missingTarget += 1
            return nil
        }
        if tpOpt == nil {
            diagnostics.missingTarget += 1
            if o.allowMissingTarget, let lp = lpOpt, lp > 0 { tpOpt = lp } else { return nil }
        }
        let tp = tpOpt!
        guard let lp = lpOpt, lp > 0 else {
            if lpOpt == nil { diagnostics.missingLogging += 1 }
            if tp > 0 { diagnostics.supportViolations += 1 }
            return nil
        }
        if lp < o.minPropensity { diagnostics.nearZeroLogging += 1 }
        let w = tp / lp
        diagnostics.add(weight: w, clipped: w > o.clipIPS)
        return w
    }

    /// receval's valid slots of a request's slate (`validSlot`), in slate order: for each,
    /// `slot(k, j, w)` gets the slot's position, item index and weight.
    @inline(__always)
    static func validSlots(
        _ d: PartitionData, _ slate: UnsafeBufferPointer<Int>, _ o: Options, _ diagnostics: inout Scope.Diagnostics,
        _ slot: (Int, Int, Double) -> Void
    ) {
        for (k, j) in slate.enumerated() {
            if let w = validSlot(d, j, o, &diagnostics) { slot(k, j, w) }
        }
    }
}
