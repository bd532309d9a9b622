using System.Security.Cryptography;
using Marconi.Core.Storage;

namespace Marconi.Core;

/// <summary>The server's own secrets (encryption, pre-signed URLs, AWS credentials): configured, or generated once and kept in the store.</summary>
public static class ServerSecrets
{
    /// <summary>
    /// <paramref name="configured"/> when set; else the secret kept in the store under
    /// <paramref name="setting"/>, 32 random bytes in base64 (without padding when
    /// <paramref name="unpadded"/>) stored by the first host to ask: every host of a shared store
    /// agrees on the first one stored.
    /// </summary>
    public static async ValueTask<string> ConfiguredOrStoredAsync(
        IDataDriver driver, string? configured, string setting, CancellationToken cancellationToken, bool unpadded = false)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        var generated = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        return await driver.GetOrAddSettingAsync(setting, unpadded ? generated.TrimEnd('=') : generated, cancellationToken);
    }
}
