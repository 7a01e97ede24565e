/// The outcome rows of each request code of a partition, in row order (a CSR index): the
/// outcomes of request r are `rows[start[r]..<start[r + 1]]`.
struct RequestOutcomes {
    var start: [Int32]
    var rows: [Int32]

    /// `requestOfRow` holds each outcome row's request code (each below `requests`).
    init(requestOfRow: [Int32], requests: Int) {
        start = [Int32](repeating: 0, count: requests + 1)
        for r in requestOfRow { start[Int(r) + 1] += 1 }
        for r in 0..<requests { start[r + 1] += start[r] }
        var fill = Array(start[0..<requests])
        rows = [Int32](repeating: 0, count: requestOfRow.count)
        for (i, r) in requestOfRow.enumerated() {
            rows[Int(fill[Int(r)])] = Int32(i)
            fill[Int(r)] += 1
        }
    }

    /// The outcome rows of request `r`.
    @inline(__always)
    func of(_ r: Int) -> ArraySlice<Int32> { rows[Int(start[r])..<Int(start[r + 1])] }
}
