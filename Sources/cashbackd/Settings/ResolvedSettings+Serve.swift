import ArgumentParser
import CashbackCore
import CashbackServer
import CashbackStore
import H2
import Logging
import RPC

/// The checks of `cashbackd serve`'s settings, made once every source is read, and what they
/// configure. Each error names the setting (as its flag) and the range or the fix; it is the
/// same whichever source set the value (`--print-config` tells which one did).
extension ResolvedSettings {
    /// The server's configuration, every setting checked.
    func serverConfiguration() throws -> CashbackServerConfiguration {
        let address: HostAndPort
        do {
            address = try HostAndPort(parsing: self[ServeSettings.listen])
        } catch {
            throw ValidationError("--listen: \(error) (e.g. 127.0.0.1:50052)")
        }
        // Checked first: without a transport nothing else matters.
        _ = try tlsConfiguration(listeningOn: address.host)
        let maxMessageBytes = self[ServeSettings.maxMessageBytes]
        guard maxMessageBytes >= 1024, maxMessageBytes <= 64 << 20 else {
            throw ValidationError("--max-message-bytes must be 1024...\(64 << 20)")
        }
        let idleTimeoutSeconds = self[ServeSettings.idleTimeoutSeconds]
        guard idleTimeoutSeconds >= 1, idleTimeoutSeconds <= 86_400 else {
            throw ValidationError("--idle-timeout-seconds must be 1...86400")
        }
        let keepaliveSeconds = self[ServeSettings.keepaliveSeconds]
        let keepaliveTimeoutSeconds = self[ServeSettings.keepaliveTimeoutSeconds]
        guard (1...86_400).contains(keepaliveSeconds), (1...3600).contains(keepaliveTimeoutSeconds)
        else {
            throw ValidationError(
                "--keepalive-seconds must be 1...86400 and --keepalive-timeout-seconds 1...3600")
        }
        let pingIntervalMinSeconds = self[ServeSettings.pingIntervalMinSeconds]
        let pingStrikesMax = self[ServeSettings.pingStrikesMax]
        guard (0...86_400).contains(pingIntervalMinSeconds), (0...1000).contains(pingStrikesMax)
        else {
            throw ValidationError(
                "--ping-interval-min-seconds must be 0...86400 and --ping-strikes-max 0...1000")
        }
        let streamStallTimeoutSeconds = self[ServeSettings.streamStallTimeoutSeconds]
        guard streamStallTimeoutSeconds >= 1, streamStallTimeoutSeconds <= 3600 else {
            throw ValidationError("--stream-stall-timeout-seconds must be 1...3600")
        }
        // The request byte budget: as given, or scaled with the message limit.
        let requestBytesBudget =
            self[ServeSettings.connectionRequestBytesMax] ?? max(16 << 20, 4 * (maxMessageBytes + 5))
        guard requestBytesBudget >= maxMessageBytes + 5, requestBytesBudget <= 1 << 30 else {
            throw ValidationError(
                "--connection-request-bytes-max must be at least --max-message-bytes + 5 "
                    + "and at most \(1 << 30)")
        }
        let maxConnections = self[ServeSettings.maxConnections]
        guard maxConnections >= 1, maxConnections <= 1_000_000 else {
            throw ValidationError("--max-connections must be 1...1000000")
        }
        let maxConnectionsPerPeer = self[ServeSettings.maxConnectionsPerPeer]
        if let maxConnectionsPerPeer, !(1...maxConnections).contains(maxConnectionsPerPeer) {
            throw ValidationError("--max-connections-per-peer must be 1...--max-connections")
        }
        let shutdownGraceSeconds = self[ServeSettings.shutdownGraceSeconds]
        guard shutdownGraceSeconds >= 0, shutdownGraceSeconds <= 3600 else {
            throw ValidationError("--shutdown-grace-seconds must be 0...3600")
        }
        _ = try logLevel()
        _ = try logFormat()
        _ = try metricsAddress()
        let balanceCacheEntries = self[ServeSettings.balanceCacheEntries]
        guard (0...100_000_000).contains(balanceCacheEntries) else {
            throw ValidationError("--balance-cache-entries must be 0...100000000")
        }

        var limits = CashbackServerConfiguration.default.limits
        limits.messageBytesMax = maxMessageBytes
        limits.connectionIdleTimeout = .seconds(idleTimeoutSeconds)
        limits.streamStallTimeout = .seconds(streamStallTimeoutSeconds)
        limits.keepaliveInterval = .seconds(keepaliveSeconds)
        limits.keepaliveTimeout = .seconds(keepaliveTimeoutSeconds)
        limits.pingIntervalMin = .seconds(pingIntervalMinSeconds)
        limits.pingStrikesMax = pingStrikesMax
        limits.connectionRequestBytesMax = requestBytesBudget
        limits.connectionsMax = maxConnections
        limits.connectionsPerPeerMax = maxConnectionsPerPeer ?? min(256, maxConnections)
        var configuration = CashbackServerConfiguration(
            host: address.host, port: address.port, databasePath: self[ServeSettings.database],
            limits: limits, shutdownGracePeriod: .seconds(shutdownGraceSeconds))
        configuration.walletPolicy = try walletPolicy()
        configuration.developmentTokenPath = self[ServeSettings.developmentTokenFile]
        configuration.commit = try commitSettings()
        configuration.balanceCacheEntries = balanceCacheEntries
        return configuration
    }

    /// The log level, or an error that lists the valid ones.
    func logLevel() throws -> Logger.Level {
        let name = self[ServeSettings.logLevel]
        guard let level = Logger.Level(rawValue: name) else {
            throw ValidationError(
                "unknown --log-level '\(name)'; use one of "
                    + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return level
    }

    /// The wallet policy the settings describe.
    func walletPolicy() throws -> WalletPolicy {
        var policy = WalletPolicy.default
        let withdrawalMinimum = Int64(self[ServeSettings.withdrawalMinimum])
        guard LedgerLimits.eligibleMinorUnits.contains(withdrawalMinimum) else {
            throw ValidationError(
                "--withdrawal-minimum must be 1...\(LedgerLimits.eligibleMinorUnits.upperBound)")
        }
        policy.defaultWithdrawalMinimumMinorUnits = withdrawalMinimum
        let accrualsPerMemberPerHour = self[ServeSettings.accrualsPerMemberPerHour]
        let withdrawalsPerMemberPerDay = self[ServeSettings.withdrawalsPerMemberPerDay]
        guard (1...1_000_000).contains(accrualsPerMemberPerHour),
            (1...1_000_000).contains(withdrawalsPerMemberPerDay)
        else {
            throw ValidationError(
                "--accruals-per-member-per-hour and --withdrawals-per-member-per-day must be "
                    + "1...1000000")
        }
        policy.accrualsPerMemberPerHour = accrualsPerMemberPerHour
        policy.withdrawalsPerMemberPerDay = withdrawalsPerMemberPerDay
        for entry in self[ServeSettings.currencyWithdrawalMinimum] {
            let parts = entry.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let amount = Int64(parts[1]),
                LedgerLimits.eligibleMinorUnits.contains(amount),
                let currency = try? CurrencyCode(validating: String(parts[0]))
            else {
                throw ValidationError(
                    "--currency-withdrawal-minimum must be CODE=MINOR_UNITS with a 3-letter "
                        + "code and 1...\(LedgerLimits.eligibleMinorUnits.upperBound), got '\(entry)'")
            }
            policy.withdrawalMinimumMinorUnits[currency] = amount
        }
        return policy
    }

    /// The writer's settings.
    func commitSettings() throws -> CommitSettings {
        let commitMode = self[ServeSettings.commitMode]
        guard let mode = CommitSettings.Mode(rawValue: commitMode) else {
            throw ValidationError(
                "unknown --commit-mode '\(commitMode)'; use "
                    + CommitSettings.Mode.allCases.map(\.rawValue).joined(separator: " or "))
        }
        let commitBatchMax = self[ServeSettings.commitBatchMax]
        let batch = CommitSettings.batchMaxRange
        guard batch.contains(commitBatchMax) else {
            throw ValidationError("--commit-batch-max must be \(batch.lowerBound)...\(batch.upperBound)")
        }
        let commitLingerMicroseconds = self[ServeSettings.commitLingerMicroseconds]
        let lingerMax = Int(CommitSettings.lingerMax / .microseconds(1))
        guard (0...lingerMax).contains(commitLingerMicroseconds) else {
            throw ValidationError("--commit-linger-microseconds must be 0...\(lingerMax)")
        }
        let writeQueueMax = self[ServeSettings.writeQueueMax]
        let queue = CommitSettings.queueMaxRange
        guard queue.contains(writeQueueMax) else {
            throw ValidationError("--write-queue-max must be \(queue.lowerBound)...\(queue.upperBound)")
        }
        return CommitSettings(
            mode: mode, batchMaxInGroupMode: commitBatchMax,
            linger: .microseconds(commitLingerMicroseconds), queueMax: writeQueueMax)
    }

    /// The TLS configuration, or `nil` for cleartext; every mistake is a start error that names
    /// the setting to add or remove.
    func tlsConfiguration(listeningOn host: String) throws -> TLSServerConfiguration? {
        let tlsHandshakeTimeout = self[ServeSettings.tlsHandshakeTimeout]
        guard (1...300).contains(tlsHandshakeTimeout) else {
            throw ValidationError("--tls-handshake-timeout must be 1...300 seconds")
        }
        let tlsCert = self[ServeSettings.tlsCert]
        let tlsKey = self[ServeSettings.tlsKey]
        let tlsClientCa = self[ServeSettings.tlsClientCa]
        let allowInsecureRemote = self[ServeSettings.allowInsecureRemote]
        if self[ServeSettings.plaintext] {
            guard tlsCert == nil, tlsKey == nil, tlsClientCa == nil else {
                throw ValidationError(
                    "--plaintext serves cleartext: leave out --tls-cert, --tls-key and "
                        + "--tls-client-ca, or leave out --plaintext to serve TLS")
            }
            guard allowInsecureRemote || HostAndPort.isLoopback(host) else {
                throw ValidationError(
                    "--plaintext on \(host), which is not a loopback address, would send "
                        + "everything in the clear: add --allow-insecure-remote to do it anyway, "
                        + "or serve TLS with --tls-cert PEM --tls-key PEM")
            }
            return nil
        }
        guard !allowInsecureRemote else {
            throw ValidationError("--allow-insecure-remote applies only with --plaintext")
        }
        guard let tlsCert, let tlsKey else {
            if tlsCert == nil, tlsKey == nil {
                throw ValidationError(
                    "no transport chosen: serve TLS with --tls-cert PEM --tls-key PEM, or "
                        + "cleartext h2c on loopback with --plaintext")
            }
            throw ValidationError("--tls-cert and --tls-key go together: give both")
        }
        return TLSServerConfiguration(
            certificateChainPath: tlsCert, privateKeyPath: tlsKey, clientCAPath: tlsClientCa,
            handshakeTimeout: .seconds(tlsHandshakeTimeout))
    }
}
