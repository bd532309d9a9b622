using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Marconi.Transport.Sqs;

public static class SqsTransportExtensions
{
    /// <summary>Registers the SQS endpoint; it listens when the host starts.</summary>
    public static IHostApplicationBuilder AddSqsTransport(this IHostApplicationBuilder builder)
    {
        const string section = SqsTransportOptions.SectionName;
        builder.Services.AddOptions<SqsTransportOptions>()
            .BindConfiguration(section)
            .Validate(o => Uri.TryCreate(o.Url, UriKind.Absolute, out var url) && url.Scheme is "http" or "https",
                $"{section}:Url must be an absolute http:// URL such as http://127.0.0.1:9324.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Region) && o.Region.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'),
                $"{section}:Region must be a region name such as us-east-1.")
            .Validate(o => o.MaxRequestBytes > 0, $"{section}:MaxRequestBytes must be a positive number of bytes.")
            .Validate(o => o.MaxRequestBytesInFlight >= o.MaxRequestBytes,
                $"{section}:MaxRequestBytesInFlight must be at least {section}:MaxRequestBytes.")
            .Validate(o => o.MaxConnections >= 0, $"{section}:MaxConnections must be 0 (no limit) or a positive number of connections.")
            .Validate(o => o.MaxClockSkewSeconds > 0, $"{section}:MaxClockSkewSeconds must be a positive number of seconds.")
            .ValidateOnStart();
        builder.Services.AddSingleton<SqsActions>();
        builder.Services.AddSingleton<SqsEndpoint>();
        builder.Services.AddSingleton<SqsServer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SqsServer>());
        return builder;
    }
}
