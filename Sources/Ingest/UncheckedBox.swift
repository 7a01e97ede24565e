/// A value handed to workers that only read it while the caller waits for them to finish
/// (the caller does not touch it meanwhile); that is the invariant behind `@unchecked Sendable`.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
}
