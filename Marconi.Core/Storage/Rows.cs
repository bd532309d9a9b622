using Marconi.Core.Keys;

namespace Marconi.Core.Storage;

/// <summary>
/// Rows as the drivers' queries select them (column aliases named after these properties), turned
/// into the models here once for every driver. Times are Unix milliseconds.
/// </summary>
public sealed class KeyRow
{
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public string? Project { get; init; }
    public string Role { get; init; } = "";
    public byte[] SecretHash { get; init; } = [];
    public long Created { get; init; }
    public long? Expires { get; init; }
    public long? LastUsed { get; init; }
    public long? Revoked { get; init; }

    /// <summary>How a role is stored: its name in lower case.</summary>
    public static string RoleName(KeyRole role) => role.ToString().ToLowerInvariant();

    public ApiKey ToKey() => new(
        Id, Name, Project, Enum.Parse<KeyRole>(Role, ignoreCase: true), Time(Created), OptionalTime(Expires),
        OptionalTime(LastUsed), OptionalTime(Revoked));

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? OptionalTime(long? ms) => ms is { } value ? Time(value) : null;
}

/// <inheritdoc cref="KeyRow"/>
public sealed class SubscriptionRow
{
    public long Seq { get; init; }
    public long Salt { get; init; }
    public string Queue { get; init; } = "";
    public string Subscriber { get; init; } = "";
    public long Ttl { get; init; }
    public long Created { get; init; }
    public long Expires { get; init; }
    public string Options { get; init; } = "";
    public bool Confirmed { get; init; }

    public Subscription ToSubscription() => new(
        Ids.SubscriptionId(Seq, Salt), Queue, Subscriber, Ttl,
        DateTimeOffset.FromUnixTimeMilliseconds(Created), DateTimeOffset.FromUnixTimeMilliseconds(Expires),
        Options, Confirmed);
}
