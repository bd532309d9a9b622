using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Marconi.Transport.Zmq;

public static class ZmqTransportExtensions
{
    private static readonly string[] Schemes = ["tcp://", "ipc://", "inproc://"];

    private static bool IsZ85Key(string key)
    {
        try
        {
            return key.Length == 40 && NetMQ.NetMQCertificate.CreateFromSecretKey(key).HasSecretKey;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Registers the ZeroMQ transport; it binds when the host starts.</summary>
    public static IHostApplicationBuilder AddZmqTransport(this IHostApplicationBuilder builder)
    {
        const string section = ZmqTransportOptions.SectionName;
        builder.Services.AddOptions<ZmqTransportOptions>()
            .BindConfiguration(section)
            .Validate(o => Schemes.Any(s => o.Endpoint.StartsWith(s, StringComparison.Ordinal)),
                $"{section}:Endpoint must be a ZeroMQ endpoint such as tcp://127.0.0.1:9999.")
            .Validate(o => o.MaxFrameBytes >= 0, $"{section}:MaxFrameBytes must be 0 (the default) or a positive number of bytes.")
            .Validate(o => o.ReceiveHighWatermark > 0, $"{section}:ReceiveHighWatermark must be a positive number of messages.")
            .Validate(o => o.SendHighWatermark > 0, $"{section}:SendHighWatermark must be a positive number of messages.")
            .Validate(o => o.MaxInFlightRequests > 0, $"{section}:MaxInFlightRequests must be a positive integer.")
            .Validate(o => o.MaxInFlightBytes > 0, $"{section}:MaxInFlightBytes must be a positive number of bytes.")
            .Validate(o => o.ShutdownTimeoutSeconds >= 0, $"{section}:ShutdownTimeoutSeconds may not be negative.")
            .Validate(o => string.IsNullOrEmpty(o.CurveSecretKey) || IsZ85Key(o.CurveSecretKey),
                $"{section}:CurveSecretKey must be a 40-character Z85 key.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ZmqDispatcher>();
        builder.Services.AddSingleton<ZmqServer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ZmqServer>());
        return builder;
    }
}
