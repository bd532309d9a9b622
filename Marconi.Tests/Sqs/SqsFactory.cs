using Amazon.Runtime;
using Amazon.SQS;
using Marconi.Api.Access;
using Marconi.Core.Keys;
using Marconi.Tests.Http;
using Marconi.Transport.Sqs;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Sqs;

/// <summary>
/// The real host with the SQS endpoint on its own loopback port (port 0, read back once bound),
/// beside the HTTP API, over one SQLite file and the manual clock. Without keys: the access key id
/// names the project.
/// </summary>
public class SqsFactory : MarconiHttpFactoryBase
{
    /// <summary>The SQS endpoint's address (the host is started on first use).</summary>
    public Uri SqsAddress
    {
        get
        {
            _ = ServerAddress;
            return new Uri(Services.GetRequiredService<SqsServer>().BoundUrl!);
        }
    }

    /// <summary>The AWS SDK's SQS client against this host, signing with the given credentials; no retries, so errors show at once.</summary>
    public AmazonSQSClient CreateSqsClient(string accessKeyId, string secretAccessKey) =>
        new(new BasicAWSCredentials(accessKeyId, secretAccessKey), new AmazonSQSConfig
        {
            ServiceURL = SqsAddress.ToString(),
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(60),
        });

    /// <summary>A client of a project of its own (keys off: the access key id is the project).</summary>
    public virtual Task<(AmazonSQSClient Client, string Project)> CreateProjectClientAsync()
    {
        var project = "sqs-" + Guid.NewGuid().ToString("N")[..12];
        return Task.FromResult((CreateSqsClient(project, "any-secret"), project));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Transports:Sqs:Enabled", "true");
        builder.UseSetting("Marconi:Transports:Sqs:Url", "http://127.0.0.1:0");
        builder.UseSetting("Marconi:Logging:RequestLevel", "Information");
    }
}

/// <summary>As <see cref="SqsFactory"/> with <c>Marconi:Auth:Mode=keys</c>: requests are signed with a key's AWS credentials.</summary>
public sealed class SqsKeysFactory : SqsFactory
{
    public async Task<(string AccessKeyId, string SecretAccessKey, string Token)> IssueAsync(string? project, KeyRole role = KeyRole.Full)
    {
        var issued = await Services.GetRequiredService<KeyOperations>().CreateAsync(new KeyRequest("sqs", project, role, null), default);
        var (id, secret) = await Services.GetRequiredService<AwsCredentials>().ForTokenAsync(issued.Token, default);
        return (id, secret, issued.Token);
    }

    public override async Task<(AmazonSQSClient Client, string Project)> CreateProjectClientAsync()
    {
        var project = "sqs-" + Guid.NewGuid().ToString("N")[..12];
        var (id, secret, _) = await IssueAsync(project);
        return (CreateSqsClient(id, secret), project);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Auth:Mode", "keys");
    }
}
