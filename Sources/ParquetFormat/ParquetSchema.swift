/// A Parquet schema: a tree of groups and typed leaves, each required, optional or repeated.
/// Flattened depth-first into the footer's `SchemaElement` list; each leaf is a column chunk with
/// its path and its maximum definition and repetition levels (the Dremel encoding of nesting).
public struct ParquetSchema: Sendable {
    public indirect enum Node: Sendable {
        case leaf(name: String, type: ParquetPhysicalType, repetition: Repetition, annotation: ParquetAnnotation?)
        case group(name: String, repetition: Repetition, annotation: ParquetAnnotation?, children: [Node])

        var name: String {
            switch self {
            case .leaf(let n, _, _, _), .group(let n, _, _, _): n
            }
        }
    }

    public enum Repetition: Sendable {
        case required, optional, repeated

        var value: ParquetRepetition {
            switch self {
            case .required: .required
            case .optional: .optional
            case .repeated: .repeated
            }
        }
    }

    /// A leaf column: its path from the root, type and maximum levels.
    public struct Column: Sendable {
        public let path: [String]
        public let type: ParquetPhysicalType
        public let maxDefinition: Int
        public let maxRepetition: Int
    }

    public let root: [Node]
    public let columns: [Column]

    public init(_ root: [Node]) {
        self.root = root
        var columns: [Column] = []
        func walk(_ n: Node, _ path: [String], _ d: Int, _ r: Int) {
            switch n {
            case .leaf(let name, let type, let rep, _):
                columns.append(
                    Column(
                        path: path + [name], type: type, maxDefinition: d + (rep == .required ? 0 : 1),
                        maxRepetition: r + (rep == .repeated ? 1 : 0)))
            case .group(let name, let rep, _, let children):
                for c in children {
                    walk(c, path + [name], d + (rep == .required ? 0 : 1), r + (rep == .repeated ? 1 : 0))
                }
            }
        }
        for n in root { walk(n, [], 0, 0) }
        self.columns = columns
    }

    /// The `schema` list of the footer: the root message, then every node depth-first.
    func write(_ w: inout ThriftCompactWriter, listID: Int16) {
        var count = 1
        func size(_ n: Node) -> Int {
            if case .group(_, _, _, let children) = n { return 1 + children.map(size).reduce(0, +) }
            return 1
        }
        for n in root { count += size(n) }
        w.listHeader(listID, .structure, count: count)
        w.structBody { e in
            e.string(4, "schema")
            e.i32(5, Int32(root.count))
        }
        func element(_ n: Node) {
            switch n {
            case .leaf(let name, let type, let rep, let annotation):
                w.structBody { e in
                    e.i32(1, type.rawValue)
                    e.i32(3, rep.value.rawValue)
                    e.string(4, name)
                    if let annotation {
                        e.i32(6, annotation.convertedType)
                        e.structure(10) { annotation.write(&$0) }
                    }
                }
            case .group(let name, let rep, let annotation, let children):
                w.structBody { e in
                    e.i32(3, rep.value.rawValue)
                    e.string(4, name)
                    e.i32(5, Int32(children.count))
                    if let annotation {
                        e.i32(6, annotation.convertedType)
                        e.structure(10) { annotation.write(&$0) }
                    }
                }
                for c in children { element(c) }
            }
        }
        for n in root { element(n) }
    }
}
