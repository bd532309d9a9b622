using System.Text.Json;

namespace Marconi.Client;

/// <summary>A message to post.</summary>
/// <param name="Body">Any JSON value: a <see cref="JsonElement"/> as it is, or any value serialised with <see cref="JsonSerializer"/> (<see langword="null"/> posts JSON <c>null</c>).</param>
/// <param name="Ttl">Seconds the message lives, 60 to the server's maximum (1209600 by default).</param>
public sealed record OutgoingMessage(object? Body, int Ttl);

/// <summary>A queue's statistics.</summary>
/// <param name="Claimed">Unexpired messages held by live claims.</param>
/// <param name="Free">Unexpired messages not claimed.</param>
/// <param name="Total">Unexpired messages.</param>
/// <param name="Oldest">The first message in FIFO order; <see langword="null"/> when the queue is empty.</param>
/// <param name="Newest">The last message in FIFO order; <see langword="null"/> when the queue is empty.</param>
/// <param name="Raw">The server's statistics JSON as received.</param>
public sealed record QueueStats(long Claimed, long Free, long Total, MessageStamp? Oldest, MessageStamp? Newest, JsonElement Raw);

/// <summary>A message named in statistics.</summary>
/// <param name="Href">The message href.</param>
/// <param name="Age">Seconds since it was posted.</param>
/// <param name="Created">When it was posted (UTC, whole seconds).</param>
public sealed record MessageStamp(string Href, int Age, DateTimeOffset Created);
