import Testing

@testable import Ingest

/// A line's items reach a batch in bulk (`LineItems`, `OptionalScratch`): the columns must hold
/// what appending item by item holds, for every pattern of present and absent values.
@Suite struct LineItemsTests {
    @Test func optionalValuesInBulkAreTheRowByRowColumn() {
        var seed: UInt64 = 11
        func next(_ n: UInt64) -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (seed >> 33) % n
        }
        // Lines of 0 to 6 items whose value is present with probability 0, 1/2 or 1 per line,
        // so that columns start absent, materialise mid-line, and lines are all, none or mixed.
        for _ in 0..<300 {
            var bulk = OptionalNumbers()
            var rowByRow = OptionalNumbers()
            let scratch = OptionalScratch()
            for _ in 0..<Int(next(8)) {
                scratch.removeAll()
                let n = Int(next(7))
                let odds = next(3)
                for i in 0..<n {
                    let v: Double? = odds == 0 || (odds == 1 && next(2) == 0) ? nil : Double(next(1000)) / 8
                    if let v { scratch.add(v, item: i) }
                    rowByRow.append(v)
                    #expect(scratch.value(i) == v)
                }
                scratch.appendRows(n, to: &bulk)
            }
            #expect(bulk.count == rowByRow.count)
            #expect(bulk.isMaterialised == rowByRow.isMaterialised)
            #expect(bulk.flags == rowByRow.flags)
            #expect(bulk.values.doubles(0..<bulk.values.rowCount) == rowByRow.values.doubles(0..<rowByRow.values.rowCount))
        }
    }

    /// Items read one way or the other come back as the fields they were given, `extra`
    /// ranges included.
    @Test func itemsComeBackAsGiven() {
        let items = LineItems()
        let text: [UInt8] = Array("abc".utf8)
        text.withUnsafeBufferPointer { buf in
            let id = ByteRef(start: buf.baseAddress!, count: 3)
            var general = ItemFields()
            general.id = id
            general.rank = 2
            general.target = 0.5
            general.extraStart = 4
            general.extraEnd = 9
            items.append(id: id, hash: 7, rank: 1, propensity: 0.25, logging: nil, target: nil)
            items.append(general)
            items.append(id: id, hash: 8, rank: 3, propensity: nil, logging: 1, target: nil)
            #expect(items.count == 3)
            #expect(items[0].rank == 1 && items[0].propensity == 0.25 && items[0].target == nil && items[0].extraEnd == -1)
            #expect(items[1].rank == 2 && items[1].propensity == nil && items[1].target == 0.5)
            #expect(items[1].extraStart == 4 && items[1].extraEnd == 9)
            #expect(items[2].hash == 8 && items[2].logging == 1 && items[2].extraEnd == -1)
            items.removeAll()
            #expect(items.count == 0 && items.propensity.present == 0 && items.extras.count == 0)
        }
    }
}

/// Context pairs take their codes from the keys and values met at the same position in recent
/// lines when the strings are the same (`WorkerInterners.contextCodes`, which remembers a few
/// values per position and replaces the oldest): every code must still name its string, with
/// more values per position than it remembers.
@Suite struct ContextMemoTests {
    @Test func codesNameTheirStrings() {
        var d = WorkerInterners()
        var seed: UInt64 = 5
        func next(_ n: UInt64) -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (seed >> 33) % n
        }
        let keys = ["tenant_id", "surface", "k", "a", "device", "locale", "", "a_key_longer_than_sixteen_bytes"]
        let values = ["t1", "t2", "email", "", "v", "a_value_longer_than_sixteen_bytes", "t1 ", "t3", "t4", "t5", "de-DE", "ios", "x"]
        for _ in 0..<2000 {
            let pairs = (0..<Int(next(5))).map { _ in (keys[Int(next(UInt64(keys.count)))], values[Int(next(UInt64(values.count)))]) }
            for (i, (k, v)) in pairs.enumerated() {
                let kb = Array(k.utf8) + [0]
                let vb = Array(v.utf8) + [0]
                let codes = kb.withUnsafeBufferPointer { kp in
                    vb.withUnsafeBufferPointer { vp in
                        d.contextCodes(
                            ByteRef(start: kp.baseAddress!, count: kb.count - 1), ByteRef(start: vp.baseAddress!, count: vb.count - 1),
                            at: i)
                    }
                }
                #expect(String(decoding: d.contextKey.key(Int(codes.key)), as: UTF8.self) == k)
                #expect(String(decoding: d.contextValue.key(Int(codes.value)), as: UTF8.self) == v)
            }
        }
    }
}
