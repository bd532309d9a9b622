using System.Text.Json;

namespace Marconi.Client;

/// <summary>
/// What <see cref="MarconiClient"/> offers, so code that uses a client can be given another (a test
/// double) in its place. <see cref="MarconiClient"/> documents each member.
/// </summary>
public interface IMarconiClient : IDisposable, IAsyncDisposable
{
    /// <inheritdoc cref="MarconiClient.ClientId"/>
    Guid ClientId { get; }

    /// <inheritdoc cref="MarconiClient.ProjectId"/>
    string? ProjectId { get; }

    /// <inheritdoc cref="MarconiClient.Api"/>
    MarconiApi Api { get; }

    /// <inheritdoc cref="MarconiClient.Endpoint"/>
    Uri Endpoint { get; }

    /// <inheritdoc cref="MarconiClient.GetHomeDocumentAsync"/>
    Task<JsonElement> GetHomeDocumentAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MarconiClient.IsHealthyAsync"/>
    Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MarconiClient.PingAsync"/>
    Task PingAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MarconiClient.ListQueuesAsync"/>
    IAsyncEnumerable<MarconiQueue> ListQueuesAsync(bool detailed = false, int? pageSize = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MarconiClient.CreateQueueAsync(string, CancellationToken)"/>
    Task<MarconiQueue> CreateQueueAsync(string name, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MarconiClient.CreateQueueAsync(string, object, CancellationToken)"/>
    Task<MarconiQueue> CreateQueueAsync(string name, object metadata, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MarconiClient.Queue"/>
    MarconiQueue Queue(string name);

    /// <inheritdoc cref="MarconiClient.CreateKeyAsync"/>
    Task<IssuedApiKey> CreateKeyAsync(
        string name, string? project, MarconiKeyRole role = MarconiKeyRole.Full, DateTimeOffset? expires = null,
        CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MarconiClient.ListKeysAsync"/>
    Task<IReadOnlyList<MarconiApiKey>> ListKeysAsync(string? project = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MarconiClient.GetKeyAsync"/>
    Task<MarconiApiKey> GetKeyAsync(string id, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MarconiClient.RevokeKeyAsync"/>
    Task RevokeKeyAsync(string id, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MarconiClient.RotateKeyAsync"/>
    Task<IssuedApiKey> RotateKeyAsync(string id, CancellationToken cancellationToken = default);
}
