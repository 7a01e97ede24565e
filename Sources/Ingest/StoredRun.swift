/// Rows of one partition and table as the store holds them, in input order: one batch in memory
/// with the worker whose interners its codes use, or a run of batches moved to the spill file;
/// once phase 2 has taken an in-memory batch, the bytes it counted against the budget.
enum StoredRun {
    case memory(worker: Int, batch: TableBatch)
    case spilled(SpilledRun)
    case taken(bytes: Int)
}
