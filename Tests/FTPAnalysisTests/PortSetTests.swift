@testable import FTPAnalysis
import Testing

/// The port bitmap that decides whether a new connection is on a control port answers as the `Set` it replaced.
@Suite struct PortSetTests {
    @Test(arguments: [[], [21], [21, 990, 2121], [0, 63, 64, 65_535], Array(UInt16(1000)...UInt16(1100))])
    func agreesWithSet(ports: [UInt16]) {
        let set = Set(ports)
        let bitmap = PortSet(ports)
        for port in UInt16.min...UInt16.max {
            if bitmap.contains(port) != set.contains(port) {
                Issue.record("port \(port): bitmap \(bitmap.contains(port)), set \(set.contains(port))")
                return
            }
        }
    }
}
