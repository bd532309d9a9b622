using Marconi.Core;

namespace Marconi.Api;

/// <summary>How a scalar parameter is typed where the transport carries types (ZeroMQ's JSON values).</summary>
public enum ParameterType
{
    String,
    Integer,
    Boolean,
}

/// <summary>
/// Where an operation's JSON document comes from. Over HTTP it is always the request body; over
/// ZeroMQ, whose parameters are the members of one object, it is either one member's value
/// (<see cref="Member"/>) or an object made of some members as given (<see cref="Members"/>).
/// An <see cref="Optional"/> document that ZeroMQ does not carry at all is a missing body, as an
/// HTTP request without one.
/// </summary>
public sealed record DocumentSource(string? Member, IReadOnlyList<string> Members, bool Optional)
{
    /// <summary>The value of one parameter (a message list, a metadata object).</summary>
    public static DocumentSource Value(string member, bool optional = false) => new(member, [], optional);

    /// <summary>An object of the named parameters that are present (a claim's <c>ttl</c> and <c>grace</c>).</summary>
    public static DocumentSource ObjectOf(params string[] members) => new(null, members, false);

    /// <summary>As <see cref="ObjectOf"/>, but no body at all when none of the members is present.</summary>
    public static DocumentSource OptionalObjectOf(params string[] members) => new(null, members, true);
}

/// <summary>
/// A request as a transport hands it to the catalogue: the caller, and parameters by the names of
/// the contract's action catalogue (<c>queue_name</c>, <c>marker</c>, <c>message_ids</c>, …). A
/// transport checks only what its own encoding can get wrong (a ZeroMQ parameter of the wrong JSON
/// type); the operation parses and validates values, in the contract's order.
/// </summary>
public abstract class ApiRequest(RequestContext caller)
{
    public RequestContext Caller { get; } = caller;

    /// <summary>The request path as received, for <c>Content-Location</c>; null where the transport has none.</summary>
    public virtual string? Path => null;

    /// <summary>The request path and query as received; null where the transport has none.</summary>
    public virtual string? PathAndQuery => null;

    /// <summary>True where the transport declares a body's media type (HTTP's Content-Type).</summary>
    public virtual bool CarriesMediaType => false;

    /// <summary>The declared media type of the body, null when none was declared.</summary>
    public virtual string? ContentType => null;

    /// <summary>A required string naming a resource (<c>queue_name</c>, <c>message_id</c>, <c>claim_id</c>).</summary>
    public abstract string Name(string name);

    /// <summary>An optional scalar as text, null when absent; the operation parses it by the contract's rules.</summary>
    public abstract string? Text(string name, ParameterType type);

    /// <summary>A list of ids; null when absent and the transport leaves that to the operation.</summary>
    public abstract IReadOnlyList<string>? List(string name);

    /// <summary>
    /// Every scalar parameter not named in <paramref name="known"/>, as text, in the order sent
    /// (the metadata filters of v2 queue listings).
    /// </summary>
    public abstract IReadOnlyList<KeyValuePair<string, string>> Others(IReadOnlySet<string> known);

    /// <summary>The operation's JSON document, read lazily and within limits by the operation.</summary>
    public abstract IRequestBody Document(DocumentSource source);
}
