using System.Text.Json;

namespace Marconi.Client;

/// <summary>A message as the server returned it.</summary>
public sealed class MarconiMessage
{
    private readonly MarconiQueue _queue;

    internal MarconiMessage(MarconiQueue queue, JsonElement message)
    {
        _queue = queue;
        Href = message.GetProperty("href").GetString()!;
        Ttl = message.GetProperty("ttl").GetInt32();
        Age = message.GetProperty("age").GetInt32();
        Body = message.GetProperty("body").Clone();
        Id = IdOf(Href);
        var query = Href.IndexOf('?');
        if (query >= 0)
        {
            const string key = "claim_id=";
            var at = Href.IndexOf(key, query, StringComparison.Ordinal);
            ClaimId = at >= 0 ? Href[(at + key.Length)..].Split('&')[0] : null;
        }
    }

    /// <summary>The message id (the last segment of <see cref="Href"/>).</summary>
    public string Id { get; }

    /// <summary>The href exactly as the server gave it; with <c>?claim_id=…</c> when the message came from a claim.</summary>
    public string Href { get; }

    /// <summary>Seconds the message lives (as posted, or as a claim extended it).</summary>
    public int Ttl { get; }

    /// <summary>Seconds since the message was posted, when it was read.</summary>
    public int Age { get; }

    /// <summary>The body, the JSON value that was posted.</summary>
    public JsonElement Body { get; }

    /// <summary>The claim holding the message when it came from a claim; otherwise <see langword="null"/>.</summary>
    public string? ClaimId { get; }

    /// <summary>The body deserialised with <see cref="JsonSerializer"/>.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="options">Serializer options; the client's <see cref="MarconiClientOptions.SerializerOptions"/> when <see langword="null"/>.</param>
    /// <returns>The body as <typeparamref name="T"/>.</returns>
    public T? GetBody<T>(JsonSerializerOptions? options = null) => Body.Deserialize<T>(options ?? _queue.Client.SerializerOptions);

    /// <summary>Deletes the message, with its <see cref="ClaimId"/> when it came from a claim.</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="MessageClaimedException">A live claim that this message did not come from holds it.</exception>
    /// <exception cref="MarconiValidationException">The claim it came from expired or was released.</exception>
    public Task DeleteAsync(CancellationToken ct = default) => _queue.DeleteMessageAsync(Id, ClaimId, ct);

    /// <inheritdoc/>
    public override string ToString() => Href;

    /// <summary>The id in a message href: its last path segment.</summary>
    internal static string IdOf(string href)
    {
        var path = href.Split('?')[0];
        return path[(path.LastIndexOf('/') + 1)..];
    }
}
