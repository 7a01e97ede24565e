/// Which of a dataset's partitions a run scans: shard `index` of `count` holds the partitions p
/// with p mod count = index (`receval run --shard I/N`). Every row of a request is in one
/// partition, so shards split the data by request and their states merge exactly.
public struct PartitionShard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// Every partition.
    public static let whole = PartitionShard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "shard index in 0..<count")
        self.index = index
        self.count = count
    }

    /// `I/N` with 0 <= I < N; nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 1 << 20, (0..<n).contains(i) else {
            return nil
        }
        self.init(index: i, count: n)
    }

    public func contains(partition p: Int) -> Bool { p % count == index }

    /// The shard's partitions of a dataset with `partitions` of them, ascending.
    public func partitions(of partitions: Int) -> [Int] { Array(stride(from: index, to: partitions, by: count)) }

    public var description: String { "\(index)/\(count)" }
}
