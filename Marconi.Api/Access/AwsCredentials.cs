using System.Security.Cryptography;
using System.Text;
using Marconi.Core;
using Marconi.Core.Keys;
using Marconi.Core.Storage;
using Microsoft.Extensions.Options;

namespace Marconi.Api.Access;

/// <summary>
/// A key's AWS credentials, for the SQS endpoint's Signature Version 4: the access key id is the
/// key's id, the secret access key is derived from the key's stored secret hash under the server's
/// credential key (<see cref="AuthOptions.AwsCredentialKey"/>, else one generated and kept in the
/// store). Why derived: the store keeps only a hash of a key's secret, and SigV4 needs the server to
/// sign with the same secret as the client; a derived secret needs nothing more stored, changes when
/// the key is rotated, and is worthless without the credential key.
/// </summary>
public sealed class AwsCredentials(IDataDriver driver, IOptions<AuthOptions> options)
{
    /// <summary>The name under which a generated credential key is kept in the store.</summary>
    public const string GeneratedKeySetting = "aws_credential_key";

    private byte[]? _key;

    /// <summary>The secret access key of the key whose stored secret hash is <paramref name="secretHash"/>.</summary>
    public async ValueTask<string> SecretAccessKeyAsync(string keyId, byte[] secretHash, CancellationToken cancellationToken)
    {
        var key = await KeyAsync(cancellationToken);
        var input = new byte[keyId.Length + 1 + secretHash.Length];
        Encoding.ASCII.GetBytes(keyId, input);
        input[keyId.Length] = (byte)'\n';
        secretHash.CopyTo(input, keyId.Length + 1);
        return System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(key, input));
    }

    /// <summary>The credentials of a key just issued (its token holds the secret the hash is of).</summary>
    public async ValueTask<(string AccessKeyId, string SecretAccessKey)> ForTokenAsync(string token, CancellationToken cancellationToken)
    {
        if (!KeyTokens.TryParse(token, out var id, out var hash))
        {
            throw new ArgumentException("Not a key token.", nameof(token));
        }

        return (id, await SecretAccessKeyAsync(id, hash, cancellationToken));
    }

    private async ValueTask<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        if (_key is { } key)
        {
            return key;
        }

        var secret = await ServerSecrets.ConfiguredOrStoredAsync(driver, options.Value.AwsCredentialKey, GeneratedKeySetting, cancellationToken);
        return _key = Encoding.UTF8.GetBytes(secret);
    }
}
