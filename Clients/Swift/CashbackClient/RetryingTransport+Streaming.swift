import RPC

extension RetryingTransport {
    /// Response bytes a retried stream queues for its consumer before it stops taking more
    /// from the connection (which then holds back the server as usual).
    static let streamQueuedBytesMax = 64 << 10

    /// Makes a server-streaming call that is retried, as a unary one is, until its first
    /// message has arrived; after that a failure ends it, since the consumer has seen part of
    /// the answer (gRFC A6: the call is committed).
    ///
    /// A task forwards the messages of each attempt to the buffer the consumer reads; the
    /// consumer's cancellation, or dropping the stream, cancels that task and so the attempt.
    func serverStreaming(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        -> RPCRawResponseStream
    {
        guard retries(method) else {
            return base.serverStreaming(method, request: request, options: options)
        }
        return RPCRawResponseStream { [self] in
            let forwarding = TaskHolder()
            let consumed = RPCMessageBuffer(onCancel: { forwarding.cancel() })
            forwarding.set(
                Task {
                    await forwardAttempts(method, request: request, options: options, to: consumed)
                })
            return consumed
        }
    }

    /// Makes attempts until one ends well, or after its first message, or is not retried; ends
    /// `consumed` with the call's status.
    private func forwardAttempts(
        _ method: MethodDescriptor, request: [UInt8], options: CallOptions,
        to consumed: RPCMessageBuffer
    ) async {
        var schedule = RetrySchedule(
            policy: policy, deadline: options.timeout.map { clock.now + $0 })
        var options = options
        do throws(RPCError) {
            while true {
                let outcome = await base.streamOutcome(method, request: request, options: options)
                let failure: RPCError
                switch outcome.result {
                case .failure(let error):
                    failure = error
                case .success(let attempt):
                    defer { attempt.cancel() }  // a no-op once the attempt has ended
                    switch await forward(attempt, to: consumed) {
                    case .ended:
                        throttle?.recordSuccess()
                        return
                    case .failedAfterMessages(let error):
                        if policy.retryableStatusCodes.contains(error.code) {
                            _ = throttle?.recordFailure()
                        }
                        throw error
                    case .failedBeforeMessages(let error):
                        failure = error
                    }
                }
                try await backOff(after: failure, of: method, on: outcome.endpoint, &schedule)
                options.timeout = try schedule.timeout(at: clock.now)
            }
        } catch {
            consumed.finish(.failure(error))
        }
    }

    /// How forwarding one attempt ended.
    private enum Forwarded {
        /// Status OK: `consumed` is finished.
        case ended
        /// A failure after the consumer was given a message: the call is committed.
        case failedAfterMessages(RPCError)
        /// A failure before any message: the call may be retried.
        case failedBeforeMessages(RPCError)
    }

    /// Hands the attempt's messages to the consumer's buffer as they come, waiting while the
    /// consumer is ``streamQueuedBytesMax`` behind.
    private func forward(_ attempt: RPCMessageBuffer, to consumed: RPCMessageBuffer) async
        -> Forwarded
    {
        var forwardedAny = false
        do {
            while let message = try await attempt.next() {
                forwardedAny = true
                consumed.append(message)
                await consumed.waitForRoom(below: Self.streamQueuedBytesMax)
            }
            consumed.finish(.success(()))
            return .ended
        } catch {
            let error = RPCError(clientFailure: error)
            return forwardedAny ? .failedAfterMessages(error) : .failedBeforeMessages(error)
        }
    }
}
