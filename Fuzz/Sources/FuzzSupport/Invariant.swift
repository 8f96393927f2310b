// What every fuzz target uses to state an invariant: a broken one is reported on standard error and aborts, so
// libFuzzer records the input as a crash.
#if canImport(Glibc)
import Glibc
#endif

/// A fuzzing invariant: prints what broke and aborts (release builds drop `precondition`'s message).
@inlinable @inline(__always)
public func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { failCheck(message()) }
}

/// Reports a broken invariant and aborts, so libFuzzer records the input.
public func failCheck(_ message: String) -> Never {
    // write(2): stdout is buffered and abort() would lose it.
    let text = "invariant broken: \(message)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    abort()
}
