import H2
import Testing

/// Connections counted in all and by address, against both caps.
@Suite struct ConnectionCountsTests {
    @Test func eachCapRefusesByNameAndAReleaseMakesRoom() {
        var counts = ConnectionCounts()
        let admitted = ["a", "a", "b"].map { counts.admit(peer: $0, max: 3, perPeerMax: 2) }
        #expect(admitted == [nil, nil, nil])
        #expect(counts.total == 3)
        #expect(counts.admit(peer: "c", max: 3, perPeerMax: 2) == .atLimit)
        counts.release(peer: "b")
        #expect(counts.admit(peer: "a", max: 3, perPeerMax: 2) == .peerAtLimit("a"))
        #expect(counts.admit(peer: "c", max: 3, perPeerMax: 2) == nil)
        counts.release(peer: "a")
        #expect(counts.admit(peer: "a", max: 3, perPeerMax: 2) == nil)
        #expect(counts.total == 3)
    }
}
