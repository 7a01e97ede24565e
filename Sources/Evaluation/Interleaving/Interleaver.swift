import Statistics

/// recsys-eval's interleaving of two ranked lists (SPEC §10 step 3), reproduced draw for draw
/// with Go's generator, except that balanced interleaving never hangs: where recsys-eval would
/// spin forever (the team the counts force has no unseen item left while the other has), the
/// other team picks instead. Every input recsys-eval finishes gives the same list.
public struct Interleaver {
    public enum Algorithm: Sendable, Equatable {
        case teamDraft, balanced, optimized

        /// recsys-eval's names; any other name runs team draft.
        public init(name: String) {
            switch name.lowercased() {
            case "balanced": self = .balanced
            case "optimized": self = .optimized
            default: self = .teamDraft
            }
        }
    }

    public enum Team: Sendable, Equatable { case a, b }

    public struct Result: Sendable, Equatable {
        public var items: [String]
        public var teams: [Team]
        /// Picks recsys-eval would never have made (it hangs on this input instead).
        public var hangsAvoided: Int
    }

    public let algorithm: Algorithm
    public let maxResults: Int

    public init(algorithm: Algorithm, maxResults: Int) {
        self.algorithm = algorithm
        self.maxResults = maxResults
    }

    /// Interleaves `a` and `b`, drawing from `rng` as recsys-eval does.
    public func interleave(_ a: [String], _ b: [String], rng: inout GoRandom) -> Result {
        let limit = maxResults > 0 ? maxResults : max(a.count, b.count)
        var seen = Set<String>()
        var pointers = [0, 0]
        let lists = [a, b]
        var out = Result(items: [], teams: [], hangsAvoided: 0)
        var counts = [0, 0]

        /// Moves a team's pointer past items already shown; true when it has one left.
        func hasUnseen(_ t: Int) -> Bool {
            while pointers[t] < lists[t].count && seen.contains(lists[t][pointers[t]]) { pointers[t] += 1 }
            return pointers[t] < lists[t].count
        }
        func pick(_ t: Int) -> Bool {
            guard hasUnseen(t) else { return false }
            let item = lists[t][pointers[t]]
            pointers[t] += 1
            seen.insert(item)
            out.items.append(item)
            out.teams.append(t == 0 ? .a : .b)
            counts[t] += 1
            return true
        }
        func running() -> Bool { out.items.count < limit && (pointers[0] < a.count || pointers[1] < b.count) }

        switch algorithm {
        case .teamDraft:
            // One coin flip, then strict alternation (recsys-eval's variant).
            var turn = rng.intn(2) == 0 ? 0 : 1
            while running() {
                _ = pick(turn)
                turn = 1 - turn
            }
        case .balanced:
            while running() {
                var t = counts[0] <= counts[1] ? 0 : 1
                if counts[0] == counts[1] && rng.intn(2) == 1 { t = 1 }
                if !pick(t) && counts[0] != counts[1] {
                    // recsys-eval loops here forever; take from the other team instead.
                    if pick(1 - t) { out.hangsAvoided += 1 }
                }
            }
        case .optimized:
            while running() {
                let aOK = hasUnseen(0)
                let bOK = hasUnseen(1)
                let t: Int
                if aOK && !bOK {
                    t = 0
                } else if bOK && !aOK {
                    t = 1
                } else if aOK && bOK {
                    t = counts[0] == counts[1] ? (rng.intn(2) == 1 ? 1 : 0) : (counts[0] < counts[1] ? 0 : 1)
                } else {
                    t = counts[0] <= counts[1] ? 0 : 1
                }
                _ = pick(t)
            }
        }
        return out
    }
}
