/// Rows of one partition and table as the store holds them, in input order: one batch in memory
/// with the worker whose interners its codes use, or a run of batches moved to the spill file.
enum StoredRun {
    case memory(worker: Int, batch: TableBatch)
    case spilled(SpilledRun)
}
