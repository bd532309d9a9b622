using System.Net;
using Marconi.Api.Access;

namespace Marconi.Host;

/// <summary>
/// Protected mode, as Redis has it: a server that asks for no credentials refuses to listen on any
/// address other hosts can reach, unless told in so many words that this is intended. The quick
/// start (loopback) is unaffected, and so is a server that requires keys.
/// </summary>
internal static class AnonymousAccess
{
    public static void Check(IConfiguration configuration, IEnumerable<(string Key, string Address)> endpoints)
    {
        var options = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new();
        if (!AuthOptions.Modes.Contains(options.Mode, StringComparer.OrdinalIgnoreCase))
        {
            throw new ConfigurationKeyException(
                $"{AuthOptions.SectionName}:Mode is '{options.Mode}'; valid modes: {string.Join(", ", AuthOptions.Modes)}.");
        }

        // With keys every request proves who it is, so any address may listen.
        if (options.RequiresKeys || options.AllowAnonymousRemote)
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
