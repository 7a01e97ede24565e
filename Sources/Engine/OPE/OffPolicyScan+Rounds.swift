import ColumnarFormat
import ColumnarStorage

extension OffPolicyScan {
    /// Pass one over the partitions `reader` scans, as a first-round state keyed by ids.
    public static func counts(reader: DatasetReader, options: Options, threads: Int) throws -> OPECountsState {
        let context = try Context(reader: reader, options: options)
        let counting = CountingPass(context)
        let counted = try counting.fold(threads: threads)
        let names = options.sliceKeys.count
        var segments: [OPECountsState.Segment: WeightQuantiles.Counts] = [:]
        for (id, c) in counted.segmentWeights { segments[SegmentKeys.values(id, count: names, values: context.ctxValues)] = c }
        return OPECountsState(
            items: try reader.dictionary("item_id"), fitted: context.fitted, slots: context.slots,
            compatModel: KeyedSums.Sparse(counted.compatModelSums),
            fittedSums: context.fitted ? KeyedSums.Sparse(counting.fittedPool.merged(), width: 3) : KeyedSums.Sparse(width: 3),
            compatWeights: counted.compatWeights, globalWeights: counted.globalWeights, segmentWeights: segments, touched: counted.touched)
    }

    /// Pass two over the partitions `reader` scans, with the models of `model` (the first round
    /// of every shard, merged), as a second-round state keyed by ids.
    public static func estimates(reader: DatasetReader, options: Options, model: OPECountsState, threads: Int) throws
        -> OPEEstimatesState
    {
        let context = try Context(reader: reader, options: options)
        guard model.fitted == context.fitted, model.slots == context.slots else { throw ModelMismatch.settings }
        let (global, plans) = Models.compute(
            options, slots: model.slots, items: model.items.count, fitted: model.fitted,
            compatModelSums: model.compatModel.dense(keyCount: model.items.count),
            fittedSums: model.fitted
                ? model.fittedSums.dense(keyCount: model.items.count, width: 3 * model.slots)
                : KeyedSums.Dense(keyCount: 0, width: 3 * model.slots),
            compatWeights: model.compatWeights, globalWeights: model.globalWeights,
            segmentWeights: model.segmentWeights)
        // The models over this dataset's item codes: each item's row in the merged model.
        let items = try reader.dictionary("item_id")
        let index = DictionaryIndex(model.items)
        var local = global
        var compat = [Double](repeating: 0, count: items.count)
        var q = [Double](repeating: 0, count: context.fitted ? items.count * model.slots : 0)
        for a in 0..<items.count {
            guard let g = index.code(of: items.string(a)).map(Int.init) else { throw ModelMismatch.item(items.string(a)) }
            compat[a] = global.compatModel[g]
            if context.fitted {
                for s in 0..<model.slots { q[a * model.slots + s] = global.qModel[g * model.slots + s] }
            }
        }
        local.compatModel = compat
        local.qModel = q
        var localPlans: [Int64: WeightQuantiles.Plan] = [:]
        for (values, plan) in plans {
            if let id = SegmentKeys.id(values, values: context.ctxValues) { localPlans[id] = plan }
        }
        local.segmentPlans = localPlans
        let estimating = EstimatorPass(context, local)
        let state = try estimating.fold(threads: threads)
        var segments: [OPEEstimatesState.Segment: Scope] = [:]
        for (id, s) in state.segments {
            segments[SegmentKeys.values(id, count: options.sliceKeys.count, values: context.ctxValues)] = s
        }
        return OPEEstimatesState(
            compatPlan: global.compatPlan, globalPlan: global.globalPlan, segmentPlans: plans,
            slotMeans: context.fitted ? global.slotMeans : [], slotTarget: context.fitted ? global.slotTarget : [],
            compat: state.scan.compat, global: state.scan.global, segments: segments, users: try reader.dictionary("user_id"),
            unitSums: options.unitSums, unitDense: KeyedSums.Sparse(state.unitDense), seenUsers: state.seenUsers, counts: state.scan.counts,
            touched: state.scan.bytesTouched + model.touched)
    }

    /// A model that cannot serve this dataset.
    public enum ModelMismatch: Error, CustomStringConvertible {
        case settings
        case item(String)

        public var description: String {
            switch self {
            case .settings: return "the model state was computed with other OPE settings (reward model or slots)"
            case .item(let id):
                return "the model state does not hold item \"\(id)\" of this dataset: it was merged from other shards' first rounds"
            }
        }
    }
}
