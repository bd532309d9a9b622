using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Marconi.Transport.Sqs;

/// <summary>
/// AWS Signature Version 4 as the SDKs sign SQS requests (the <c>Authorization</c> header form):
/// the parsed header, and the check of its signature against a secret access key. Written here
/// because ASP.NET has no SigV4 verifier and the AWS SDKs only sign.
/// </summary>
public sealed class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    private const string AmzDateFormat = "yyyyMMdd'T'HHmmss'Z'";

    private SigV4(string accessKeyId, string date, string region, string service, string[] signedHeaders, string signature, DateTimeOffset signedAt, string amzDate)
    {
        AccessKeyId = accessKeyId;
        Date = date;
        Region = region;
        Service = service;
        SignedHeaders = signedHeaders;
        Signature = signature;
        SignedAt = signedAt;
        AmzDate = amzDate;
    }

    public string AccessKeyId { get; }

    public string Date { get; }

    public string Region { get; }

    public string Service { get; }

    public string[] SignedHeaders { get; }

    public string Signature { get; }

    /// <summary>When the client signed (<c>X-Amz-Date</c>, else <c>Date</c>).</summary>
    public DateTimeOffset SignedAt { get; }

    private string AmzDate { get; }

    private string Scope => $"{Date}/{Region}/{Service}/aws4_request";

    /// <summary>
    /// The request's signature header, parsed; null when it carries none (no <c>Authorization</c>).
    /// A header that is there but not a complete SigV4 one raises <see cref="SqsError"/>.
    /// </summary>
    public static SigV4? Parse(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(authorization))
        {
            return null;
        }

        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            throw SqsError.IncompleteSignature($"Only {Algorithm} (Signature Version 4) signatures are accepted.");
        }

        string? credential = null, signedHeaders = null, signature = null;
        foreach (var part in authorization[(Algorithm.Length + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                continue;
            }

            var value = part[(equals + 1)..];
            switch (part[..equals])
            {
                case "Credential": credential = value; break;
                case "SignedHeaders": signedHeaders = value; break;
                case "Signature": signature = value; break;
            }
        }

        var scope = credential?.Split('/');
        if (scope is not { Length: 5 } || scope[4] != "aws4_request" || signedHeaders is null || signature is null
            || scope.Take(4).Any(string.IsNullOrEmpty))
        {
            throw SqsError.IncompleteSignature(
                "Authorization header requires Credential=<key id>/<date>/<region>/<service>/aws4_request, SignedHeaders and Signature.");
        }

        var amzDate = request.Headers["X-Amz-Date"].ToString();
        DateTimeOffset signedAt;
        if (!string.IsNullOrEmpty(amzDate))
        {
            if (!DateTimeOffset.TryParseExact(amzDate, AmzDateFormat, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out signedAt))
            {
                throw SqsError.IncompleteSignature("X-Amz-Date must be a time such as 20261207T120000Z.");
            }
        }
        else if (DateTimeOffset.TryParse(request.Headers.Date.ToString(), CultureInfo.InvariantCulture,
                     DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out signedAt))
        {
            amzDate = signedAt.UtcDateTime.ToString(AmzDateFormat, CultureInfo.InvariantCulture);
        }
        else
        {
            throw SqsError.IncompleteSignature("A signed request needs an X-Amz-Date or Date header.");
        }

        var headers = signedHeaders.Split(';');
        if (!headers.Contains("host") || amzDate[..8] != scope[1])
        {
            throw SqsError.IncompleteSignature("The signature must cover the host header, and its scope's date be the signing date.");
        }

        return new SigV4(scope[0], scope[1], scope[2], scope[3], headers, signature, signedAt, amzDate);
    }

    /// <summary>True when the request, with <paramref name="body"/> as its payload, was signed with <paramref name="secretAccessKey"/>.</summary>
    public bool Matches(HttpRequest request, ReadOnlySpan<byte> body, string secretAccessKey)
    {
        // The JSON protocol names its action in X-Amz-Target: unsigned, the action of a signed request could be swapped.
        if (request.Headers.ContainsKey("X-Amz-Target") && !SignedHeaders.Contains("x-amz-target"))
        {
            return false;
        }

        var stringToSign = $"{Algorithm}\n{AmzDate}\n{Scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalRequest(request, body))))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), Date);
        key = Hmac(key, Region);
        key = Hmac(key, Service);
        key = Hmac(key, "aws4_request");
        var expected = Encoding.ASCII.GetBytes(Hex(Hmac(key, stringToSign)));
        var presented = Encoding.ASCII.GetBytes(Signature);
        return CryptographicOperations.FixedTimeEquals(expected, presented);
    }

    private string CanonicalRequest(HttpRequest request, ReadOnlySpan<byte> body)
    {
        // The target as sent on the wire: the canonical form is built from it, not from the decoded path.
        var target = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path + request.QueryString;
        var question = target.IndexOf('?');
        var path = question < 0 ? target : target[..question];
        var query = question < 0 ? "" : target[(question + 1)..];

        var canonical = new StringBuilder();
        canonical.Append(request.Method).Append('\n');
        canonical.Append(CanonicalPath(path)).Append('\n');
        canonical.Append(CanonicalQuery(query)).Append('\n');
        foreach (var name in SignedHeaders)
        {
            var values = name == "host" ? request.Host.Value ?? "" : string.Join(',', request.Headers[name].Select(v => Collapse(v ?? "")));
            canonical.Append(name).Append(':').Append(values).Append('\n');
        }

        canonical.Append('\n').Append(string.Join(';', SignedHeaders)).Append('\n');
        canonical.Append(Hex(SHA256.HashData(body)));
        return canonical.ToString();
    }

    /// <summary>Each segment of the path as sent, encoded once more (every service but S3 double-encodes).</summary>
    private static string CanonicalPath(string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "/";
        }

        return string.Join('/', path.Split('/').Select(Encode));
    }

    private static string CanonicalQuery(string query)
    {
        if (query.Length == 0)
        {
            return "";
        }

        var pairs = new List<(string Name, string Value)>();
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : pair[(equals + 1)..];
            pairs.Add((Encode(Uri.UnescapeDataString(name)), Encode(Uri.UnescapeDataString(value))));
        }

        pairs.Sort(static (a, b) =>
        {
            var byName = string.CompareOrdinal(a.Name, b.Name);
            return byName != 0 ? byName : string.CompareOrdinal(a.Value, b.Value);
        });
        return string.Join('&', pairs.Select(p => p.Name + "=" + p.Value));
    }

    /// <summary>RFC 3986 encoding as SigV4 wants it: unreserved characters as they are, every other byte %XX.</summary>
    private static string Encode(string text)
    {
        var encoded = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }

    private static string Collapse(string value)
    {
        var trimmed = value.Trim();
        var collapsed = new StringBuilder(trimmed.Length);
        var space = false;
        foreach (var c in trimmed)
        {
            if (c == ' ')
            {
                if (!space)
                {
                    collapsed.Append(c);
                }

                space = true;
            }
            else
            {
                collapsed.Append(c);
                space = false;
            }
        }

        return collapsed.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
