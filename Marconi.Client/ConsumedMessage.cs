using System.Text.Json;

namespace Marconi.Client;

/// <summary>
/// A message from <see cref="MarconiQueue.ConsumeAsync(ConsumeOptions?, CancellationToken)"/>, held by a claim that
/// the consumer renews until the message is settled: <see cref="CompleteAsync"/> deletes it, <see cref="Abandon"/>
/// gives it back. One that is neither when the loop asks for the next message (or leaves) is given back, so a
/// message is deleted only when the code that handled it says so.
/// </summary>
public sealed class ConsumedMessage
{
    private readonly TaskCompletionSource<bool> _decision = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _deleted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal ConsumedMessage(MarconiMessage message, CancellationToken held)
    {
        Message = message;
        CancellationToken = held;
    }

    /// <summary>The message, with the claim id that holds it.</summary>
    public MarconiMessage Message { get; }

    /// <summary>The message id.</summary>
    public string Id => Message.Id;

    /// <summary>The body, the JSON value that was posted.</summary>
    public JsonElement Body => Message.Body;

    /// <summary>Cancelled when the consumer stops or the claim is lost (then the message comes back to some consumer): work on it should stop.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The body deserialised, as <see cref="MarconiMessage.GetBody{T}(JsonSerializerOptions?)"/>.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <returns>The body as <typeparamref name="T"/>.</returns>
    public T? GetBody<T>() => Message.GetBody<T>();

    /// <summary>The message was handled: deletes it (with its claim id).</summary>
    /// <returns>When the message is deleted.</returns>
    /// <exception cref="InvalidOperationException">The message was abandoned already.</exception>
    /// <exception cref="MarconiException">The delete failed (e.g. the claim was lost meanwhile: the message will be handled again).</exception>
    public Task CompleteAsync()
    {
        if (!_decision.TrySetResult(true) && !_decision.Task.Result)
        {
            throw new InvalidOperationException($"Message {Id} was abandoned already.");
        }

        return _deleted.Task;
    }

    /// <summary>The message was not handled: it is given back (released, or left to expire, by <see cref="ConsumeOptions.OnFailure"/>). Nothing happens once it is completed.</summary>
    public void Abandon() => _decision.TrySetResult(false);

    /// <inheritdoc/>
    public override string ToString() => Message.ToString();

    /// <summary>
    /// The consumer's handler for this message: waits for the caller's decision, deletes on completion. The decision is
    /// awaited even once the consumer stops, so a message the loop body handled is still deleted; the enumerator gives
    /// back every message it will not yield.
    /// </summary>
    internal async Task SettleAsync(TimeSpan settleTimeout)
    {
        var complete = await _decision.Task.ConfigureAwait(false);
        if (!complete)
        {
            _deleted.TrySetException(new InvalidOperationException($"Message {Id} was abandoned."));
            _ = _deleted.Task.Exception; // observed: nobody awaits an abandoned message's deletion
            throw new AbandonedException();
        }

        using var settle = new CancellationTokenSource(settleTimeout);
        try
        {
            await Message.DeleteAsync(settle.Token).ConfigureAwait(false);
            _deleted.TrySetResult();
        }
        catch (Exception exception)
        {
            _deleted.TrySetException(exception);
            throw;
        }
    }

    /// <summary>The caller gave the message back: a failure, but not one to log.</summary>
    internal sealed class AbandonedException() : Exception("The message was abandoned.");
}
