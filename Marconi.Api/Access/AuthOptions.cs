namespace Marconi.Api.Access;

/// <summary>Section <c>Marconi:Auth</c>: who may use the server.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Marconi:Auth";

    public const string NoneMode = "none";
    public const string KeysMode = "keys";

    public static readonly string[] Modes = [NoneMode, KeysMode];

    /// <summary>
    /// <c>none</c>: no credentials; projects are namespaces, not a boundary. <c>keys</c>: every request
    /// but health, ping, versions and home documents needs an API key or a pre-signed grant.
    /// </summary>
    public string Mode { get; set; } = NoneMode;

    /// <summary>Lets a server without authentication listen beyond loopback; off, so that doing so is a decision.</summary>
    public bool AllowAnonymousRemote { get; set; }

    /// <summary>
    /// How long a key read from the store is trusted before it is read again. Revoking through this
    /// host takes effect at once; through another host sharing the store, or offline, within this time.
    /// </summary>
    public int KeyCacheSeconds { get; set; } = 5;

    /// <summary>How often, at most, a key's last-used time is written (one write per key per period).</summary>
    public int LastUsedResolutionSeconds { get; set; } = 60;

    /// <summary>
    /// The key AWS secret access keys are derived under (the SQS endpoint's signatures); when empty a
    /// random one is generated on first use and kept in the store. Changing it changes every key's
    /// AWS secret access key.
    /// </summary>
    public string? AwsCredentialKey { get; set; }

    public bool RequiresKeys => string.Equals(Mode, KeysMode, StringComparison.OrdinalIgnoreCase);
}
