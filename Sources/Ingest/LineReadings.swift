/// The `RuntimeReading`s of one line: which kinds, and the first field of each.
struct LineReadings {
    private(set) var kinds: UInt32 = 0
    private(set) var fields = [String](repeating: "", count: RuntimeReading.allCases.count)

    var isEmpty: Bool { kinds == 0 }

    mutating func reset() { kinds = 0 }

    /// Records `r` at `field` unless the line already has an `r`.
    mutating func note(_ r: RuntimeReading, _ field: @autoclosure () -> String) {
        let bit = UInt32(1) << UInt32(r.rawValue)
        guard kinds & bit == 0 else { return }
        kinds |= bit
        fields[r.rawValue] = field()
    }

    func contains(_ r: RuntimeReading) -> Bool { kinds & (UInt32(1) << UInt32(r.rawValue)) != 0 }
}

/// The readings of a run of lines: rows per kind and the first row of each kind, in input order.
struct ReadingTally {
    struct First {
        var piece: Int
        var line: Int
        var field: String
    }

    var rows = [Int](repeating: 0, count: RuntimeReading.allCases.count)
    var first = [First?](repeating: nil, count: RuntimeReading.allCases.count)

    mutating func add(_ l: LineReadings, piece: Int, line: Int) {
        for r in RuntimeReading.allCases where l.contains(r) {
            rows[r.rawValue] += 1
            if first[r.rawValue] == nil { first[r.rawValue] = First(piece: piece, line: line, field: l.fields[r.rawValue]) }
        }
    }
}
