import ColumnarStorage

/// The shape of every mode's pass over a dataset (docs/scale.md): each partition is scanned
/// into a `Partial`; partials are combined into the `State` in partition order, at most a window
/// of them waiting; the mode then finishes the state into its result.
///
/// What makes the shape mergeable: every sum a `State` holds across requests is exact (integer
/// counts, `ExactSum`, `KeyedSums`' fixed point, counts of distinct values), so combining the
/// partials of any grouping of partitions, in any process, gives the same state to the bit. A
/// pass may also add into exact tables its workers borrow (`DenseSumsPool`) and merge them into
/// the state once every partition is in; which partition went into which table cannot matter.
///
/// Conformers hold what the pass needs besides the partition (the reader, options, dictionaries
/// resolved once), so `scan` reads only its partition and `combine` only the partial and state.
/// `scan` should copy the members its loops use into locals first: a member read through the
/// loops' closures retains and releases `self`'s arrays on every item (21% of an OPE run).
public protocol PartitionScan: Sendable {
    associatedtype Partial: Sendable
    associatedtype State

    /// The dataset the pass reads.
    var reader: DatasetReader { get }

    /// The state before any partition.
    func start() throws -> State

    /// Partition `partition`'s partial. Runs on worker threads, several partitions at once.
    func scan(partition: Int) throws -> Partial

    /// Adds a partial to the state. Runs one call at a time, in partition order.
    func combine(_ partial: Partial, into state: inout State)
}

extension PartitionScan {
    /// Scans every partition on up to `threads` threads and combines the partials in partition
    /// order (`Morsels.foldPartitions`: bounded memory, each partition's pages released).
    public func fold(threads: Int) throws -> State {
        var state = try start()
        try Morsels.foldPartitions(of: reader, threads: threads) { p in
            try scan(partition: p)
        } combine: { partial in
            combine(partial, into: &state)
        }
        return state
    }
}
