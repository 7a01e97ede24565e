/// Any JSON subtree as page blocks, so everything in the report stays reachable on the page:
/// an object's scalars become a field/value table and each nested container a folded section;
/// an array of records becomes one table (nested keys joined by dots); numbers read as people
/// read them (`NumberStyle.forKey`), while full precision stays in the JSON.
enum JSONFold {
    /// `value` folded under `title` (closed unless `open`).
    static func details(_ title: String, _ value: JSONValue, open: Bool = false) -> Block {
        .details(summary: title, open: open, blocks: blocks(value, key: title))
    }

    /// The blocks showing `value`; `key` names it for number styles.
    static func blocks(_ value: JSONValue, key: String) -> [Block] {
        switch value {
        case .object(let members):
            if members.isEmpty { return [.text("(empty)")] }
            var out: [Block] = []
            let scalars = members.filter { !$0.1.isContainer }
            if !scalars.isEmpty {
                out.append(.table(Table(header: ["field", "value"], rows: scalars.map { [Cell($0.0), cell($0.1, key: $0.0)] })))
            }
            for (k, v) in members where v.isContainer { out.append(details(k + summarySuffix(v), v)) }
            return out
        case .array(let items):
            if items.isEmpty { return [.text("(none)")] }
            if let columns = ReportRenderer.recordColumns(items) {
                let rows = items.map { item in
                    columns.map { col in
                        item.flattenedValue(col).map { cell($0, key: col) } ?? .missing("not in this row")
                    }
                }
                return [.table(Table(header: columns, rows: rows))]
            }
            if items.allSatisfy({ !$0.isContainer }) {
                return [
                    .table(
                        Table(
                            header: ["#", "value"], rows: items.enumerated().map { [Cell(String($0.offset)), cell($0.element, key: key)] }))
                ]
            }
            return items.enumerated().map { i, item in details("\(key)[\(i)]" + summarySuffix(item), item) }
        default:
            return [.table(Table(header: ["value"], rows: [[cell(value, key: key)]]))]
        }
    }

    /// A scalar as a cell: numbers readable, null and empty strings explained.
    static func cell(_ value: JSONValue, key: String) -> Cell {
        switch value {
        case .null: return .missing("null in the report")
        case .bool(let b): return Cell(b ? "true" : "false")
        case .number(let d): return .number(d, NumberStyle.forKey(key, d))
        case .string(let s): return s.isEmpty ? .missing("empty string in the report") : Cell(s)
        case .array(let items) where items.allSatisfy({ !$0.isContainer }):
            return items.isEmpty ? .missing("empty list") : Cell(items.map { cell($0, key: key).text }.joined(separator: ", "))
        default: return Cell(value.serialized(indent: false))
        }
    }

    /// " (12 rows)" or " (5 fields)": what a folded section holds.
    static func summarySuffix(_ v: JSONValue) -> String {
        switch v {
        case .array(let items): return " (\(ReadableNumber.count(items.count)) \(items.count == 1 ? "item" : "items"))"
        case .object(let m): return " (\(ReadableNumber.count(m.count)) \(m.count == 1 ? "field" : "fields"))"
        default: return ""
        }
    }
}
