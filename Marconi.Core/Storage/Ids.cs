using System.Globalization;

namespace Marconi.Core.Storage;

/// <summary>
/// Public ids and markers, the same whatever driver stores them, so ids stay valid when a
/// deployment moves between drivers. A message id is its marker as 16 hex digits; a claim id is its
/// row id and a random salt, so a claim cannot be guessed from its neighbour. Anything else does not
/// parse and is simply "not found". A subscription id is its row id and 64 random bits, for the
/// same reason. A marker (for paging) is the message's marker in decimal.
/// </summary>
public static class Ids
{
    public static string MessageId(long marker) => marker.ToString("x16", CultureInfo.InvariantCulture);

    public static bool TryParseMessageId(string id, out long marker)
    {
        marker = 0;
        return id.Length == 16 && IsLowerHex(id)
            && long.TryParse(id, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out marker)
            && marker > 0;
    }

    public static string ClaimId(long id, long salt) =>
        id.ToString("x16", CultureInfo.InvariantCulture) + salt.ToString("x8", CultureInfo.InvariantCulture);

    public static bool TryParseClaimId(string? id, out long claim, out long salt) => TryParseSalted(id, 8, out claim, out salt);

    public static long NewSalt() => Random.Shared.NextInt64(0, 1L << 32);

    public static string SubscriptionId(long seq, long salt) =>
        seq.ToString("x16", CultureInfo.InvariantCulture) + salt.ToString("x16", CultureInfo.InvariantCulture);

    public static bool TryParseSubscriptionId(string? id, out long seq, out long salt) => TryParseSalted(id, 16, out seq, out salt);

    /// <summary>A salted id: a positive row id as 16 hex digits, then its salt as <paramref name="saltDigits"/>.</summary>
    private static bool TryParseSalted(string? id, int saltDigits, out long row, out long salt)
    {
        row = salt = 0;
        return id is not null && id.Length == 16 + saltDigits && IsLowerHex(id)
            && long.TryParse(id.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out row)
            && long.TryParse(id.AsSpan(16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out salt)
            && row > 0;
    }

    /// <summary>A subscription salt from the system's cryptographic generator: ids are not guessable.</summary>
    public static long NewSubscriptionSalt() =>
        BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(sizeof(long)));

    public static string Marker(long marker) => marker.ToString(CultureInfo.InvariantCulture);

    public static bool TryParseMarker(string marker, out long value)
    {
        value = 0;
        foreach (var c in marker)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return long.TryParse(marker, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool IsLowerHex(string s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
