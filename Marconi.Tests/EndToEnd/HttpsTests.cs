using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Marconi.Client;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// HTTPS through Kestrel's standard certificate settings (<c>Kestrel:Certificates:Default:*</c>),
/// with a self-signed certificate made here: the .NET client trusts it as a custom authority, curl
/// with <c>--cacert</c>, and neither talks to a server it cannot verify.
/// </summary>
public sealed class HttpsTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("marconi-tls-").FullName;

    public void Dispose()
    {
        _database.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task TheClientAndCurlTalkToAnHttpsServerTheyTrust()
    {
        using var certificate = SelfSigned();
        var pfx = Path.Combine(_folder, "server.pfx");
        var pem = Path.Combine(_folder, "ca.pem");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "secret"));
        await File.WriteAllTextAsync(pem, certificate.ExportCertificatePem());

        var port = HostProcess.FreePort();
        var url = $"https://127.0.0.1:{port}";
        await using var host = HostProcess.Start(_database.Path, port,
        [
            $"--Marconi:Transports:Http:Url={url}",
            $"--Kestrel:Certificates:Default:Path={pfx}",
            "--Kestrel:Certificates:Default:Password=secret",
        ]);
        await host.WaitForOutputAsync("Now listening on: https://", TimeSpan.FromSeconds(60));

        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));
        await using var client = new MarconiClient(new MarconiClientOptions
        {
            Endpoint = new Uri(url),
            ProjectId = "tls",
            TrustedCertificateAuthorities = [publicOnly],
        });
        var queue = await client.CreateQueueAsync("secure");
        await queue.PostAsync(new { over = "tls" });
        (await queue.PopAsync(1)).Should().ContainSingle().Which.Body.GetProperty("over").GetString().Should().Be("tls");

        await using var untrusting = new MarconiClient(new MarconiClientOptions
        {
            Endpoint = new Uri(url), ProjectId = "tls", MaxRetries = 0,
        });
        var refused = () => untrusting.CreateQueueAsync("never");
        await refused.Should().ThrowAsync<MarconiException>();

        var curl = await Python.RunProgramAsync("curl",
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pem, "-X", "PUT", $"{url}/v2/queues/curled",
             "-H", "X-Project-Id: tls", "-H", "Client-ID: 3381af92-2b9e-11e3-b191-71861300734c"]);
        curl.Should().Be("201");
    }

    /// <summary>A certificate for 127.0.0.1 that is its own authority.</summary>
    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=marconi-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
