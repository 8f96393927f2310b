import Glibc

/// Runs `body` on a new POSIX thread (the reader and the output stage each run one loop there). Returns the thread
/// to join, or nil when none could be made (the caller then stays on one thread). The closure is kept alive until
/// it returns; what it touches must be safe to share, which each caller states.
func startThread(_ body: @escaping () -> Void) -> pthread_t? {
    var created = pthread_t()
    let argument = Unmanaged.passRetained(ThreadEntry(body)).toOpaque()
    let status = pthread_create(
        &created, nil,
        { argument in
            guard let argument else { return nil }
            Unmanaged<ThreadEntry>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, argument)
    guard status == 0 else {
        Unmanaged<ThreadEntry>.fromOpaque(argument).release()
        return nil
    }
    return created
}

/// The closure a new thread runs, boxed to pass through `pthread_create`'s single pointer.
private final class ThreadEntry {
    let body: () -> Void

    init(_ body: @escaping () -> Void) { self.body = body }
}
