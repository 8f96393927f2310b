import Glibc
import Synchronization

/// SIGINT and SIGTERM noted in a flag the analysis loop polls (a signal handler may do little else): the first asks
/// for a clean stop, a second one exits at once.
final class StopSignals {
    /// The last stop signal received (0: none), and how many.
    private static let lastSignal = Atomic<Int32>(0)
    private static let signalCount = Atomic<Int>(0)
    private var previous: [(Int32, sigaction)] = []
    private var previousMask = sigset_t()

    private init() {}

    /// Installs the handlers; `restore()` puts the previous ones back.
    static func install() -> StopSignals {
        lastSignal.store(0, ordering: .sequentiallyConsistent)
        signalCount.store(0, ordering: .sequentiallyConsistent)
        let installed = StopSignals()
        for number in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                StopSignals.lastSignal.store(number, ordering: .sequentiallyConsistent)
                if StopSignals.signalCount.add(1, ordering: .sequentiallyConsistent).newValue > 1 {
                    _exit(128 + number)
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            var old = sigaction()
            if sigaction(number, &action, &old) == 0 { installed.previous.append((number, old)) }
        }
        // A parent may have left them blocked (a thread pool's mask is inherited through fork and exec): this thread,
        // the one that polls the flag, takes them.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        sigaddset(&unblocked, SIGINT)
        sigaddset(&unblocked, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblocked, &installed.previousMask)
        return installed
    }

    /// The stop signal received, if any.
    var received: Int32? {
        let number = StopSignals.lastSignal.load(ordering: .sequentiallyConsistent)
        return number == 0 ? nil : number
    }

    /// Puts the previous handlers back.
    func restore() {
        for (number, old) in previous {
            var action = old
            sigaction(number, &action, nil)
        }
        if !previous.isEmpty { pthread_sigmask(SIG_SETMASK, &previousMask, nil) }
        previous.removeAll()
    }
}
