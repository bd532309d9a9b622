using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Marconi.Core;
using Marconi.Core.Storage;
using Microsoft.Extensions.Options;

namespace Marconi.Api.V2;

/// <summary>Section <c>Marconi:SignedUrl</c>: the key of pre-signed URLs (v2 contract 11).</summary>
public sealed class SignedUrlOptions
{
    public const string SectionName = "Marconi:SignedUrl";

    /// <summary>The secret; when empty a random one is generated on first start and kept in the store.</summary>
    public string? SecretKey { get; set; }
}

/// <summary>A grant: what a pre-signed URL lets its holder do, and its signature.</summary>
public sealed record SignedGrant(IReadOnlyList<string> Paths, IReadOnlyList<string> Methods, string Project, string Expires, string Signature);

/// <summary>
/// Signs and checks pre-signed grants exactly as Zaqar does (v2 contract 11.2), so signatures
/// made by either are accepted by the other and by python-zaqarclient.
/// </summary>
public sealed class SignedUrls(IDataDriver driver, IOptions<SignedUrlOptions> options, TimeProvider clock)
{
    /// <summary>The name under which a generated secret is kept in the store.</summary>
    public const string GeneratedKeySetting = "signed_url_key";

    /// <summary>The expiry format of grants: UTC, no zone designator.</summary>
    public const string ExpiresFormat = "yyyy-MM-dd'T'HH:mm:ss";

    private byte[]? _key;

    /// <summary>A grant for <paramref name="paths"/> and <paramref name="methods"/> (each sorted here) until <paramref name="expires"/>.</summary>
    public async Task<SignedGrant> SignAsync(
        IEnumerable<string> paths, IEnumerable<string> methods, string project, DateTimeOffset expires,
        CancellationToken cancellationToken)
    {
        var sortedPaths = paths.Order(StringComparer.Ordinal).ToList();
        var sortedMethods = methods.Order(StringComparer.Ordinal).ToList();
        var expiresText = FormatExpires(expires);
        var signature = Signature(await KeyAsync(cancellationToken), sortedPaths, sortedMethods, project, expiresText);
        return new SignedGrant(sortedPaths, sortedMethods, project, expiresText, signature);
    }

    /// <summary>
    /// 11.3: the method and path are granted, the grant has not expired, and the signature of the
    /// (sorted) grant for the project matches. Any failure is false.
    /// </summary>
    public async Task<bool> VerifyAsync(
        string method, string path, string signature, string? methods, string? paths, string? expires, string? project,
        CancellationToken cancellationToken)
    {
        if (methods is null || paths is null || expires is null || project is null)
        {
            return false;
        }

        var methodList = methods.Split(',');
        var pathList = paths.Split(',');
        if (!methodList.Contains(method, StringComparer.Ordinal)
            || !pathList.Any(p => p.Length > 0 && (path == p || path.StartsWith(p + "/", StringComparison.Ordinal)))
            || !TryParseExpires(expires, out var expiry) || expiry <= clock.GetUtcNow())
        {
            return false;
        }

        var expected = Signature(
            await KeyAsync(cancellationToken), [.. pathList.Order(StringComparer.Ordinal)], [.. methodList.Order(StringComparer.Ordinal)],
            project, FormatExpires(expiry));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature));
    }

    /// <summary>
    /// 11.1: an ISO 8601 date-time with optional fraction and zone (UTC when none), converted to UTC
    /// with the fraction dropped. A string of digits alone is not a date.
    /// </summary>
    public static bool TryParseExpires(string text, out DateTimeOffset expires)
    {
        expires = default;
        var digits = text.TrimStart('+', '-');
        if (digits.Length == 0 || digits.All(char.IsAsciiDigit))
        {
            return false;
        }

        if (!DateTimeOffset.TryParse(
                text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return false;
        }

        expires = new DateTimeOffset(parsed.UtcDateTime.Ticks - parsed.UtcDateTime.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        return true;
    }

    public static string FormatExpires(DateTimeOffset expires) =>
        expires.UtcDateTime.ToString(ExpiresFormat, CultureInfo.InvariantCulture);

    /// <summary>
    /// 11.2. The separator is the two characters <c>\n</c> (backslash, n), not a newline: Zaqar
    /// formats the message with a raw string literal, and every Zaqar client signs the same way.
    /// </summary>
    internal static string Signature(byte[] key, IReadOnlyList<string> paths, IReadOnlyList<string> methods, string project, string expires)
    {
        const string separator = "\\n";
        var message = string.Join(',', paths) + separator + string.Join(',', methods) + separator + project + separator + expires;
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(message)));
    }

    private async ValueTask<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        if (_key is { } key)
        {
            return key;
        }

        // 43 random characters when generated.
        var secret = await ServerSecrets.ConfiguredOrStoredAsync(driver, options.Value.SecretKey, GeneratedKeySetting, cancellationToken, unpadded: true);
        return _key = Encoding.UTF8.GetBytes(secret);
    }
}
