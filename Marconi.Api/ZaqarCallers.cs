using Marconi.Core;

namespace Marconi.Api;

/// <summary>
/// Who is asking, by the header rules of v1.1 and v2 (v2 contract 2.2, 2.3 steps 5–6): Client-ID
/// absent, then malformed; X-Project-ID absent, then empty. Open operations (home, ping, health)
/// need neither header, but a Client-ID they are sent is still checked. Both transports use it.
/// </summary>
public static class ZaqarCallers
{
    public static RequestContext FromHeaders(string? project, string? clientId, bool open, LimitsOptions limits)
    {
        Guid? client = clientId is null ? (open ? null : throw Errors.MissingClientId()) : ParseClientId(clientId, limits);
        if (project is null && !open)
        {
            throw Errors.ProjectIdMissing();
        }

        if (project is { Length: 0 })
        {
            throw Errors.EmptyProject();
        }

        return new RequestContext(project ?? RequestContext.DefaultNamespace, client);
    }

    /// <summary>A UUID in strict mode; in <c>off</c> mode any string of the configured length.</summary>
    private static Guid ParseClientId(string value, LimitsOptions limits)
    {
        if (limits.StrictClientIds)
        {
            return ClientIds.TryParse(value, out var id) ? id : throw Errors.WrongUuid();
        }

        return value.Length >= limits.MinClientIdLength && value.Length <= limits.MaxClientIdLength
            ? ClientIds.FromText(value)
            : throw Errors.InvalidClientId(limits.MinClientIdLength, limits.MaxClientIdLength);
    }
}
