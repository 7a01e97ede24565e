import ColumnarFormat

/// Rows of one table parsed by one worker, bound for one partition.
enum TableBatch {
    case exposures(ExposureBatch)
    case outcomes(OutcomeBatch)
    case assignments(AssignmentBatch)

    var byteSize: Int {
        switch self {
        case .exposures(let b): b.byteSize
        case .outcomes(let b): b.byteSize
        case .assignments(let b): b.byteSize
        }
    }

    var asExposures: ExposureBatch? { if case .exposures(let b) = self { b } else { nil } }
    var asOutcomes: OutcomeBatch? { if case .outcomes(let b) = self { b } else { nil } }
    var asAssignments: AssignmentBatch? { if case .assignments(let b) = self { b } else { nil } }

    var rows: Int {
        switch self {
        case .exposures(let b): b.rows
        case .outcomes(let b): b.rows
        case .assignments(let b): b.rows
        }
    }

    /// Appends the batch's arrays to a spill record.
    func pack(_ p: inout SpillPacker) {
        switch self {
        case .exposures(let b): b.pack(&p)
        case .outcomes(let b): b.pack(&p)
        case .assignments(let b): b.pack(&p)
        }
    }

    /// Reads one batch of `table` back from a spill record.
    static func unpack(_ u: inout SpillUnpacker, table: TableKind) throws(FormatError) -> TableBatch {
        switch table {
        case .exposures: return .exposures(try .unpack(&u))
        case .outcomes: return .outcomes(try .unpack(&u))
        case .assignments: return .assignments(try .unpack(&u))
        }
    }
}
