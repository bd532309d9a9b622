using System.Net;

namespace Marconi.Host;

/// <summary>Section <c>Marconi:Auth</c>: who may use the server.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Marconi:Auth";

    /// <summary>The only mode so far: <c>none</c>, no credentials; projects are namespaces, not a boundary.</summary>
    public string Mode { get; set; } = "none";

    /// <summary>Lets a server without authentication listen beyond loopback; off, so that doing so is a decision.</summary>
    public bool AllowAnonymousRemote { get; set; }
}

/// <summary>
/// Protected mode, as Redis has it: a server that asks for no credentials refuses to listen on any
/// address other hosts can reach, unless told in so many words that this is intended. The quick
/// start (loopback) is unaffected.
/// </summary>
internal static class AnonymousAccess
{
    private static readonly string[] Modes = ["none"];

    public static void Check(IConfiguration configuration, IEnumerable<(string Key, string Address)> endpoints)
    {
        var options = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new();
        if (!Modes.Contains(options.Mode, StringComparer.OrdinalIgnoreCase))
        {
            throw new ConfigurationKeyException(
                $"{AuthOptions.SectionName}:Mode is '{options.Mode}'; valid modes: {string.Join(", ", Modes)}.");
        }

        if (options.AllowAnonymousRemote)
        {
            return;
        }

        foreach (var (key, address) in endpoints)
        {
            if (!IsLocal(address))
            {
                throw new ConfigurationKeyException(
                    $"{key} is '{address}', reachable from other hosts, and {AuthOptions.SectionName}:Mode is none: anyone could " +
                    $"read or delete any project's messages. Listen on 127.0.0.1, or set {AuthOptions.SectionName}:AllowAnonymousRemote=true " +
                    "behind a proxy that authenticates.");
            }
        }
    }

    /// <summary>Loopback hosts, and ZeroMQ transports that never leave the machine (ipc, inproc).</summary>
    internal static bool IsLocal(string address)
    {
        if (address.StartsWith("ipc://", StringComparison.Ordinal) || address.StartsWith("inproc://", StringComparison.Ordinal))
        {
            return true;
        }

        var rest = address[(address.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var host = rest.StartsWith('[') ? rest[1..rest.IndexOf(']')] : rest.Split(':', '/')[0];
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }
}
