using System.Security.Cryptography;

namespace Marconi.Core.Keys;

/// <summary>What a key may do within its scope.</summary>
public enum KeyRole
{
    /// <summary>Everything in its scope.</summary>
    Full,

    /// <summary>Create queues and post messages (and read queues, to find where to post).</summary>
    Produce,

    /// <summary>Read, claim, delete and release messages (and read queues).</summary>
    Consume,
}

/// <summary>
/// An API key as stored, without its secret. A key with no <see cref="Project"/> has the admin scope:
/// every project, and key management.
/// </summary>
public sealed record ApiKey(
    string Id,
    string Name,
    string? Project,
    KeyRole Role,
    DateTimeOffset Created,
    DateTimeOffset? Expires,
    DateTimeOffset? LastUsed,
    DateTimeOffset? Revoked)
{
    public bool IsAdmin => Project is null;

    /// <summary>Neither revoked nor expired at <paramref name="now"/>.</summary>
    public bool IsLiveAt(DateTimeOffset now) => Revoked is null && (Expires is not { } expires || expires > now);
}

/// <summary>A key with the SHA-256 hash of its secret, the only form of the secret the store ever holds.</summary>
public sealed record StoredKey(ApiKey Key, byte[] SecretHash);

/// <summary>A newly made key and its token, shown once.</summary>
public sealed record IssuedKey(ApiKey Key, string Token);

/// <summary>
/// The token format: <c>mk_{id}_{secret}</c>, where id is 16 hex digits naming the key and secret is
/// 256 random bits in base64url. The id lets the server find the one stored hash to compare with.
/// </summary>
public static class KeyTokens
{
    public const string Prefix = "mk_";
    private const int IdLength = 16;
    private const int SecretBytes = 32;
    private const int SecretLength = 43;

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdLength / 2));

    /// <summary>A new secret for the key and its token.</summary>
    public static (string Token, byte[] SecretHash) NewSecret(string id)
    {
        Span<byte> secret = stackalloc byte[SecretBytes];
        RandomNumberGenerator.Fill(secret);
        var text = System.Buffers.Text.Base64Url.EncodeToString(secret);
        var hash = SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(text));
        CryptographicOperations.ZeroMemory(secret);
        return (Prefix + id + "_" + text, hash);
    }

    /// <summary>Splits a token into key id and secret hash; false for anything not shaped like a token.</summary>
    public static bool TryParse(string? token, out string id, out byte[] secretHash)
    {
        id = "";
        secretHash = [];
        if (token is null || token.Length != Prefix.Length + IdLength + 1 + SecretLength
            || !token.StartsWith(Prefix, StringComparison.Ordinal) || token[Prefix.Length + IdLength] != '_')
        {
            return false;
        }

        var idPart = token.AsSpan(Prefix.Length, IdLength);
        var secret = token.AsSpan(Prefix.Length + IdLength + 1);
        foreach (var c in idPart)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        foreach (var c in secret)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_'))
            {
                return false;
            }
        }

        id = idPart.ToString();
        Span<byte> ascii = stackalloc byte[SecretLength];
        for (var i = 0; i < SecretLength; i++)
        {
            ascii[i] = (byte)secret[i];
        }

        secretHash = SHA256.HashData(ascii);
        return true;
    }

    /// <summary>True when the hashes are equal, in time that does not depend on where they differ.</summary>
    public static bool Matches(byte[] presented, byte[] stored) => CryptographicOperations.FixedTimeEquals(presented, stored);
}
