using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marconi.Core.Storage;
using Microsoft.Extensions.Options;

namespace Marconi.Core;

/// <summary>Section <c>Marconi:Messages</c>: options of message representations (v2 contract 9.8).</summary>
public sealed class MessagesOptions
{
    public const string SectionName = "Marconi:Messages";

    /// <summary>MD5 checksums in message objects; not implemented, so only false is valid.</summary>
    public bool EnableChecksum { get; set; }
}

/// <summary>Section <c>Marconi:Encryption</c>: the key of encrypted queues (v2 contract 9.6).</summary>
public sealed class EncryptionOptions
{
    public const string SectionName = "Marconi:Encryption";

    /// <summary>The secret; when empty a random one is generated on first start and kept in the store.</summary>
    public string? Key { get; set; }
}

/// <summary>
/// Encrypts message bodies at rest for queues with <c>_enable_encrypt_messages</c> (v2 contract 9.6)
/// and decrypts them on every read, so clients always see the body as posted. AES-256-GCM with a
/// random nonce per message; the key is SHA-256 of the configured secret. The stored body is a
/// JSON string of base64(nonce | tag | ciphertext), flagged as encrypted in storage.
/// </summary>
public sealed class MessageCipher(IDataDriver driver, IOptions<EncryptionOptions> options)
{
    /// <summary>The name under which a generated secret is kept in the store.</summary>
    public const string GeneratedKeySetting = "encryption_key";

    private const int NonceSize = 12;
    private const int TagSize = 16;

    private byte[]? _key;

    /// <summary>The sealed form of a UTF-8 body: a JSON string, in UTF-8 too.</summary>
    public async Task<byte[]> EncryptAsync(byte[] plain, CancellationToken cancellationToken)
    {
        var key = await KeyAsync(cancellationToken);
        var sealedBytes = new byte[NonceSize + TagSize + plain.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize));
        return JsonSerializer.SerializeToUtf8Bytes(Convert.ToBase64String(sealedBytes));
    }

    /// <summary>The message with its body as posted.</summary>
    public async ValueTask<StoredMessage> DecryptAsync(StoredMessage message, CancellationToken cancellationToken)
    {
        if (!message.Encrypted)
        {
            return message;
        }

        var key = await KeyAsync(cancellationToken);
        try
        {
            var sealedBytes = Convert.FromBase64String(JsonSerializer.Deserialize<string>(message.Body)!);
            var plain = new byte[sealedBytes.Length - NonceSize - TagSize];
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(
                sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), plain);
            return message with { Body = Encoding.UTF8.GetString(plain), Encrypted = false };
        }
        catch (CryptographicException exception)
        {
            // Another key than the one that sealed it (Marconi:Encryption:Key changed, or hosts disagree).
            throw Errors.StorageUnavailable($"Decrypting message {message.Id} (was Marconi:Encryption:Key changed?)", exception);
        }
    }

    public async ValueTask<IReadOnlyList<StoredMessage>> DecryptAsync(
        IReadOnlyList<StoredMessage> messages, CancellationToken cancellationToken)
    {
        if (!messages.Any(m => m.Encrypted))
        {
            return messages;
        }

        var plain = new List<StoredMessage>(messages.Count);
        foreach (var message in messages)
        {
            plain.Add(await DecryptAsync(message, cancellationToken));
        }

        return plain;
    }

    private async ValueTask<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        if (_key is { } key)
        {
            return key;
        }

        var secret = await ServerSecrets.ConfiguredOrStoredAsync(driver, options.Value.Key, GeneratedKeySetting, cancellationToken);
        return _key = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
    }
}
