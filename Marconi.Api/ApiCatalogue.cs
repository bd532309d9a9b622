namespace Marconi.Api;

/// <summary>One operation of a version's catalogue: a request in, an outcome out.</summary>
public delegate Task<ApiOutcome> ApiAction(ApiRequest request, CancellationToken cancellationToken);

/// <summary>
/// One API version's operations keyed by the contract's action names (<c>queue_create</c>,
/// <c>message_post</c>, …). Every transport calls the same catalogue, so the same request gets
/// the same outcome over HTTP and ZeroMQ. Failures are raised as <see cref="Core.MarconiException"/>
/// and turned into outcomes by <see cref="ApiErrors"/>.
/// </summary>
public abstract class ApiCatalogue
{
    private readonly Dictionary<string, ApiAction> _actions = new(StringComparer.Ordinal);

    /// <summary>The version's name as the ZeroMQ envelope's <c>api</c> names it, e.g. <c>v1</c>.</summary>
    public abstract string Version { get; }

    public IEnumerable<string> ActionNames => _actions.Keys;

    public bool TryGetAction(string name, out ApiAction action) => _actions.TryGetValue(name, out action!);

    /// <summary>The named action; a name missing from the catalogue is a bug in the caller's route table.</summary>
    public ApiAction this[string name] =>
        _actions.TryGetValue(name, out var action)
            ? action
            : throw new KeyNotFoundException($"The {Version} catalogue has no action {name}.");

    protected void Add(string name, ApiAction action) => _actions.Add(name, action);

    /// <summary>The caller of <paramref name="action"/> by this version's header rules, for transports that carry headers as values.</summary>
    public abstract Core.RequestContext Caller(string action, string? project, string? clientId);
}
