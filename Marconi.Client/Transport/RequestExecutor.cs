using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Marconi.Client.Transport;

/// <summary>
/// Runs requests through a transport with the client's resilience: every attempt has a timeout;
/// transient failures (connection refused or reset, a timed-out attempt, 503) are retried with
/// bounded exponential backoff and jitter. A request that is not idempotent is retried only when
/// the failure proves it never reached the server. Error answers become typed exceptions here.
/// </summary>
internal sealed class RequestExecutor : IAsyncDisposable
{
    private readonly ITransport _transport;
    private readonly string _endpoint;
    private static readonly ResiliencePropertyKey<ClientRequest> RequestKey = new("Marconi.Request");
    private readonly ResiliencePipeline<ClientResponse> _pipeline;

    public RequestExecutor(ITransport transport, MarconiClientOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero);
        _transport = transport;
        _endpoint = options.Endpoint.OriginalString;
        _pipeline = Build(options);
    }

    /// <summary>Sends the request; returns any success (or the request's answer status), throws a <see cref="MarconiException"/> otherwise.</summary>
    public async Task<ClientResponse> SendAsync(ClientRequest request, CancellationToken cancellationToken)
    {
        var attempts = 0;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        ClientResponse response;
        try
        {
            response = await _pipeline.ExecuteAsync(
                async (ctx, _) =>
                {
                    Interlocked.Increment(ref attempts);
                    return await _transport.SendAsync(request, ctx.CancellationToken);
                },
                context,
                0);
        }
        catch (Exception exception) when (exception is TimeoutRejectedException or TransportException && !cancellationToken.IsCancellationRequested)
        {
            var title = exception is TimeoutRejectedException ? "Timed out" : "Connection failed";
            throw new MarconiConnectionException(title,
                $"{request.Action} on {_endpoint} failed after {attempts} attempt{(attempts == 1 ? "" : "s")}: {exception.Message}", exception);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (response.Status >= 400 && response.Status != request.AnswerStatus)
        {
            throw MarconiErrors.FromResponse(request, response);
        }

        return response;
    }

    public ValueTask DisposeAsync() => _transport.DisposeAsync();

    private static ResiliencePipeline<ClientResponse> Build(MarconiClientOptions options)
    {
        var builder = new ResiliencePipelineBuilder<ClientResponse>();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<ClientResponse>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome, args.Context.Properties.GetValue(RequestKey, null!))),
            });
        }

        // A long-poll is answered up to its wait later than any other request: its attempt gets that much longer.
        return builder.AddTimeout(new TimeoutStrategyOptions
        {
            TimeoutGenerator = args => ValueTask.FromResult(options.Timeout + args.Context.Properties.GetValue(RequestKey, null!).ServerWait),
        }).Build();
    }

    /// <summary>
    /// Which failures are worth another attempt. Idempotent requests: no answer at all (refused,
    /// reset, timed out) or 503, unless 503 is the operation's answer (health). Others: only a
    /// connection that was never made, since any later failure may hide a request the server applied.
    /// </summary>
    private static bool IsTransient(Outcome<ClientResponse> outcome, ClientRequest request) => outcome.Exception switch
    {
        TransportException { MayHaveReachedServer: false } => true,
        TransportException or TimeoutRejectedException => request.Idempotent,
        null => request.Idempotent && outcome.Result is { Status: 503 } && request.AnswerStatus != 503,
        _ => false,
    };
}
