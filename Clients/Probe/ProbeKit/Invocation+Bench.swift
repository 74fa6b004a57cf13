import CashbackClient

extension Invocation {
    /// `bench METHOD -d JSON (-n N | -z DURATION) [-c N] [-m N] [--format text|json]`: calls
    /// `method` from `-c` connections with `-m` calls in flight on each, then prints the
    /// report. Every local mistake (a flag out of bounds, JSON that is not a valid request, a
    /// server-streaming method) is refused before connecting; a connection that cannot be
    /// opened fails the run as `call` would (UNAVAILABLE, exit 78). Once the run has started,
    /// every call's status is counted, and the run succeeds (exit 0) whatever they were.
    func bench(address: HostAndPort?, method: String?, into result: inout ProbeResult)
        async throws
    {
        let plan = try BenchPlan(options: options)
        let schema = try Self.method(named: method)
        guard !schema.isServerStreaming else {
            throw ProbeUsageError(
                "bench drives unary methods; \(schema.descriptor.fullName) is server-streaming")
        }
        let requests = try BenchRequests(json: try requestJSON(), method: schema)
        let callOptions = try callOptions()
        let runner = BenchRunner(
            plan: plan, method: schema.descriptor, requests: requests, options: callOptions)
        let outcome = try await withClients(plan.connections, address) { clients in
            try await runner.run(
                on: clients.map(\.transport), executors: clients.map(\.taskExecutor))
        }
        let report = BenchReport(
            method: schema.descriptor.fullName, plan: plan, tally: outcome.tally,
            duration: outcome.duration)
        switch format {
        case .text: result.print(report.text())
        case .json: result.print(JSONLine.encode(report))
        }
    }

    /// Opens `count` clients (one connection each), runs `body` with them, and closes them
    /// all whatever happens.
    private func withClients<T: Sendable>(
        _ count: Int, _ address: HostAndPort?, _ body: ([CashbackClient]) async throws -> T
    ) async throws -> T {
        guard count > 0 else { return try await body([]) }
        return try await withClient(address) { first in
            try await withClients(count - 1, address) { rest in try await body([first] + rest) }
        }
    }
}
