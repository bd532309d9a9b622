using Marconi.Core.Keys;
using Marconi.Tests.Zmq;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Auth;

/// <summary>Both transports with <c>Marconi:Auth:Mode=keys</c>; keys are made through the host's own key operations.</summary>
public class KeysFactory : MarconiZmqFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Auth:Mode", "keys");
    }

    /// <summary>A new key's token, made as the offline bootstrap makes it (straight into the store).</summary>
    public async Task<string> IssueAsync(string? project, KeyRole role = KeyRole.Full, DateTimeOffset? expires = null, string name = "test")
    {
        var keys = Services.GetRequiredService<KeyOperations>();
        return (await keys.CreateAsync(new KeyRequest(name, project, role, expires), default)).Token;
    }

    public async Task<IssuedKey> IssueKeyAsync(string? project, KeyRole role = KeyRole.Full, DateTimeOffset? expires = null)
    {
        var keys = Services.GetRequiredService<KeyOperations>();
        return await keys.CreateAsync(new KeyRequest("test", project, role, expires), default);
    }
}
