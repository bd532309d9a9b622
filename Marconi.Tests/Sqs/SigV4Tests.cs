using System.Net;
using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using Marconi.Transport.Sqs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>
/// The SigV4 check against AWS's own signature test suite (its example key and date; the query vectors,
/// whose canonical query sorts by name then value and re-encodes each), and hand-computed signatures
/// for what the suite leaves out: a raw '+' in a query is a literal plus.
/// </summary>
public sealed class SigV4Tests
{
    private const string SuiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private const string SuiteDate = "20150830T123600Z";

    private static HttpRequest Request(string method, string rawTarget, string authorization, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = rawTarget;
        var request = context.Request;
        request.Method = method;
        request.Host = new HostString("example.amazonaws.com");
        request.Headers["X-Amz-Date"] = SuiteDate;
        request.Headers.Authorization = authorization;
        foreach (var (name, value) in headers)
        {
            request.Headers[name] = value;
        }

        return request;
    }

    private static bool Matches(HttpRequest request, string secret, string body = "") =>
        SigV4.Parse(request)!.Matches(request, Encoding.UTF8.GetBytes(body), secret);

    /// <summary>The suite's signature for a canonical request, computed as the suite does (for requests it has no vector for).</summary>
    internal static string Sign(string secret, string amzDate, string scope, string canonicalRequest)
    {
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + secret);
        foreach (var part in scope.Split('/'))
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
    }

    private static string Authorization(string signedHeaders, string signature) =>
        $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={signedHeaders}, Signature={signature}";

    [Theory]
    [InlineData("get-vanilla", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")]
    [InlineData("get-vanilla-query-order-key-case", "/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")]
    [InlineData("get-vanilla-query-order-key", "/?Param1=value2&Param1=Value1", "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1")]
    [InlineData("get-vanilla-query-order-value", "/?Param1=value2&Param1=value1", "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694")]
    [InlineData("get-vanilla-query-unreserved",
        "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197")]
    // The suite writes the name as UTF-8; on the wire a client percent-encodes it, and it is decoded before being encoded again.
    [InlineData("get-vanilla-utf8-query", "/?%E1%88%B4=bar", "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04")]
    [InlineData("get-unreserved", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f")]
    public void TheSuitesVectorsMatch(string vector, string rawTarget, string signature)
    {
        var request = Request("GET", rawTarget, Authorization("host;x-amz-date", signature));
        Matches(request, SuiteSecret).Should().BeTrue(vector);
        Matches(request, SuiteSecret + "x").Should().BeFalse(vector);
    }

    [Theory]
    // A raw '+' is a plus (%2B), as AWS's signers and S3 read it; a space is only %20.
    [InlineData("a=b+c", "a=b%2Bc")]
    [InlineData("a=b%2Bc", "a=b%2Bc")]
    [InlineData("a=b%2bc", "a=b%2Bc")]
    [InlineData("a=b%20c", "a=b%20c")]
    // Repeated names sort by value; a name without '=' has an empty value.
    [InlineData("b=2&a=2&a=1&flag", "a=1&a=2&b=2&flag=")]
    public void TheCanonicalQueryDecodesAndReencodesEachNameAndValue(string rawQuery, string canonicalQuery)
    {
        var canonical = $"GET\n/\n{canonicalQuery}\nhost:example.amazonaws.com\nx-amz-date:{SuiteDate}\n\nhost;x-amz-date\n" +
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        var signature = Sign(SuiteSecret, SuiteDate, "20150830/us-east-1/service/aws4_request", canonical);
        Matches(Request("GET", "/?" + rawQuery, Authorization("host;x-amz-date", signature)), SuiteSecret).Should().BeTrue();
    }

    [Fact]
    public void ARawPlusIsNotASpace()
    {
        var canonical = $"GET\n/\na=b%20c\nhost:example.amazonaws.com\nx-amz-date:{SuiteDate}\n\nhost;x-amz-date\n" +
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        var signature = Sign(SuiteSecret, SuiteDate, "20150830/us-east-1/service/aws4_request", canonical);
        Matches(Request("GET", "/?a=b+c", Authorization("host;x-amz-date", signature)), SuiteSecret).Should().BeFalse();
    }

    [Fact]
    public void AJsonRequestWhoseTargetIsNotSignedDoesNotMatch()
    {
        const string body = "{}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        // Signed correctly over host and x-amz-date only: the action could be swapped without breaking it.
        var canonical = $"POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:{SuiteDate}\n\nhost;x-amz-date\n{hash}";
        var signature = Sign(SuiteSecret, SuiteDate, "20150830/us-east-1/service/aws4_request", canonical);
        var request = Request("POST", "/", Authorization("host;x-amz-date", signature), ("X-Amz-Target", "AmazonSQS.DeleteQueue"));
        Matches(request, SuiteSecret, body).Should().BeFalse();

        var signedTarget = $"POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:{SuiteDate}\nx-amz-target:AmazonSQS.DeleteQueue\n\nhost;x-amz-date;x-amz-target\n{hash}";
        var withTarget = Request("POST", "/",
            Authorization("host;x-amz-date;x-amz-target", Sign(SuiteSecret, SuiteDate, "20150830/us-east-1/service/aws4_request", signedTarget)),
            ("X-Amz-Target", "AmazonSQS.DeleteQueue"));
        Matches(withTarget, SuiteSecret, body).Should().BeTrue();
    }
}

/// <summary>With keys required, a JSON request whose signature leaves out X-Amz-Target is refused as SQS refuses a bad signature.</summary>
public sealed class SqsSignedTargetTests(SqsKeysFactory factory) : IClassFixture<SqsKeysFactory>
{
    private async Task<(HttpStatusCode Status, string Body, string? Error)> SendAsync(string id, string secret, bool signTarget)
    {
        const string body = "{}";
        var address = factory.SqsAddress;
        var now = factory.Clock.GetUtcNow().UtcDateTime;
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'");
        var scope = $"{now:yyyyMMdd}/us-east-1/sqs/aws4_request";
        var signedHeaders = signTarget ? "host;x-amz-date;x-amz-target" : "host;x-amz-date";
        var canonical = $"POST\n/\n\nhost:{address.Authority}\nx-amz-date:{amzDate}\n" + (signTarget ? "x-amz-target:AmazonSQS.ListQueues\n" : "") +
                        $"\n{signedHeaders}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)))}";
        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body) };
        request.Content.Headers.ContentType = new("application/x-amz-json-1.0");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "AmazonSQS.ListQueues");
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={id}/{scope}, SignedHeaders={signedHeaders}, Signature={SigV4Tests.Sign(secret, amzDate, scope, canonical)}");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(),
            response.Headers.TryGetValues("x-amzn-query-error", out var error) ? error.Single() : null);
    }

    [Fact]
    public async Task AnUnsignedTargetIsSignatureDoesNotMatch()
    {
        var (id, secret, _) = await factory.IssueAsync("target-" + Guid.NewGuid().ToString("N")[..8]);
        var (signedStatus, signedBody, _) = await SendAsync(id, secret, signTarget: true);
        signedStatus.Should().Be(HttpStatusCode.OK, signedBody);

        var (status, body, error) = await SendAsync(id, secret, signTarget: false);
        status.Should().Be(HttpStatusCode.Forbidden, body);
        error.Should().Be("SignatureDoesNotMatch;Sender");
    }
}
