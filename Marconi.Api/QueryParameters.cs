using Marconi.Core;
using System.Globalization;
using System.Numerics;

namespace Marconi.Api;

/// <summary>
/// The contract's rules for query-derived parameters (1.4): integers, booleans and id lists.
/// Values arrive as text, whichever transport carried them.
/// </summary>
public static class QueryParameters
{
    /// <summary>
    /// Parses an optional integer. Integers beyond 64 bits are still integers: they clamp to the
    /// 64-bit range so that the range check, not the syntax check, rejects them.
    /// </summary>
    public static long? Integer(string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var digits = value.AsSpan();
        if (digits[0] is '+' or '-')
        {
            digits = digits[1..];
        }

        if (digits.IsEmpty)
        {
            throw Errors.InvalidParameter($"\"{name}\" must be an integer.");
        }

        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                throw Errors.InvalidParameter($"\"{name}\" must be an integer.");
            }
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        return BigInteger.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture).Sign < 0
            ? long.MinValue
            : long.MaxValue;
    }

    /// <summary>Parses an optional boolean in any of the contract's spellings.</summary>
    public static bool? Boolean(string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return value switch
        {
            "true" or "True" or "t" or "yes" or "y" or "1" or "on" => true,
            "false" or "False" or "f" or "no" or "n" or "0" or "off" => false,
            _ => throw Errors.InvalidParameter($"\"{name}\" must be a boolean."),
        };
    }

    /// <summary>Splits comma-separated values, dropping empty items and keeping duplicates.</summary>
    public static List<string> IdList(IEnumerable<string?> values)
    {
        var ids = new List<string>();
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var item in value.Split(','))
            {
                if (item.Length > 0)
                {
                    ids.Add(item);
                }
            }
        }

        return ids;
    }
}
