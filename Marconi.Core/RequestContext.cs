namespace Marconi.Core;

/// <summary>
/// Who is asking: the namespace (project) and, when sent, the client instance.
/// </summary>
/// <param name="Project">The project id, or <see cref="DefaultNamespace"/> for requests without one.</param>
/// <param name="ClientId">The parsed Client-ID header, if present.</param>
public sealed record RequestContext(string Project, Guid? ClientId)
{
    /// <summary>
    /// The namespace of requests without <c>X-Project-Id</c>. An empty project header is
    /// rejected, so the empty string can never collide with a real project id.
    /// </summary>
    public const string DefaultNamespace = "";

    public const int MaxProjectIdLength = 256;

    public static readonly RequestContext Default = new(DefaultNamespace, null);

    /// <summary>
    /// Builds the context from raw header values (null when the header is absent), applying
    /// the contract's checks in its order: Client-ID syntax first, then the empty project.
    /// </summary>
    public static RequestContext FromHeaders(string? projectId, string? clientId)
    {
        Guid? client = null;
        if (clientId is not null)
        {
            client = ClientIds.TryParse(clientId, out var parsed) ? parsed : throw Errors.WrongUuid();
        }

        if (projectId is not null && projectId.Length == 0)
        {
            throw Errors.EmptyProject();
        }

        return new RequestContext(projectId ?? DefaultNamespace, client);
    }

    /// <summary>The Client-ID, for operations that require it.</summary>
    public Guid RequireClientId() => ClientId ?? throw Errors.MissingClientId();
}

/// <summary>The contract's lenient UUID syntax for Client-ID.</summary>
public static class ClientIds
{
    /// <summary>
    /// A Client-ID accepted as any string (v1.1/v2 with <c>ClientIdFormat=off</c>): echo compares
    /// exact strings (v2 contract 2.2), so each string gets a UUID derived from its exact text. Only
    /// the canonical form (lowercase, hyphenated: the text Zaqar stores for a UUID in strict mode)
    /// keeps its value, so echo agrees with the versions that read Client-ID as a UUID.
    /// </summary>
    public static Guid FromText(string value)
    {
        if (Guid.TryParseExact(value, "D", out var id) && string.Equals(id.ToString("D"), value, StringComparison.Ordinal))
        {
            return id;
        }

        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value), hash);
        return new Guid(hash[..16]);
    }

    public static bool TryParse(string value, out Guid id)
    {
        id = Guid.Empty;
        var s = value.AsSpan();
        if (s.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase))
        {
            s = s[9..];
        }

        if (s.Length >= 2 && s[0] == '{' && s[^1] == '}')
        {
            s = s[1..^1];
        }

        Span<char> hex = stackalloc char[32];
        var n = 0;
        foreach (var c in s)
        {
            if (c == '-')
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(c) || n == 32)
            {
                return false;
            }

            hex[n++] = c;
        }

        return n == 32 && Guid.TryParseExact(hex, "N", out id);
    }
}
