using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Marconi.Core;
using Marconi.Core.Keys;
using Marconi.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marconi.Api.Access;

/// <summary>What a request presents: a bearer token, and whether a pre-signed grant for it was verified.</summary>
public readonly record struct Credentials(string? Token, bool Grant)
{
    /// <summary>
    /// The token from <c>X-Auth-Token</c> (python-zaqarclient, the openstack CLI) or else from
    /// <c>Authorization: Bearer</c>; null when neither carries one.
    /// </summary>
    public static string? TokenOf(string? authToken, string? authorization)
    {
        if (!string.IsNullOrEmpty(authToken))
        {
            return authToken.Trim();
        }

        const string Bearer = "Bearer ";
        return authorization is { } value && value.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase)
            ? value[Bearer.Length..].Trim()
            : null;
    }
}

/// <summary>
/// Decides, before an action touches anything, whether the request may run and for which project
/// (issue: authentication and tenancy). Both transports ask it with the action's name, the project
/// the request names and its credentials; it answers the project the request acts for, or throws
/// 401 (no valid credential) or 403 (valid, but not for this project or action). The answer never
/// depends on what exists in any project.
/// </summary>
public sealed partial class AccessGate
{
    public const string MeterName = MarconiMetrics.MeterName;
    public const string FailureCounterName = "marconi.auth.failures";

    private readonly AuthOptions _options;
    private readonly IDataDriver _driver;
    private readonly TimeProvider _clock;
    private readonly ILogger<AccessGate> _logger;
    private readonly Counter<long> _failures;
    private readonly TimeSpan _cacheFor;
    private readonly TimeSpan _touchEvery;
    private readonly AwsCredentials _aws;

    /// <summary>Keys read from the store, by id, with when they were read. Only existing keys are kept.</summary>
    private readonly ConcurrentDictionary<string, CachedKey> _keys = new(StringComparer.Ordinal);

    public AccessGate(
        IOptions<AuthOptions> options, IDataDriver driver, KeyOperations keys, TimeProvider clock,
        IMeterFactory meters, ILogger<AccessGate> logger, AwsCredentials aws)
    {
        _aws = aws;
        _options = options.Value;
        _driver = driver;
        _clock = clock;
        _logger = logger;
        _cacheFor = TimeSpan.FromSeconds(_options.KeyCacheSeconds);
        _touchEvery = TimeSpan.FromSeconds(_options.LastUsedResolutionSeconds);
        _failures = meters.Create(MeterName).CreateCounter<long>(
            FailureCounterName, description: "Requests refused for want of a valid credential (401) or of the right scope or role (403).");
        keys.Changed += id => _keys.TryRemove(id, out _);
    }

    public bool KeysRequired => _options.RequiresKeys;

    /// <summary>
    /// Admits the request to <paramref name="action"/> and returns the project header it acts for:
    /// the one sent, or a project key's own when none was sent.
    /// </summary>
    /// <param name="transport">"http" or "zmq", for the audit log.</param>
    /// <param name="origin">Where the request came from (a remote address), for the audit log.</param>
    public ValueTask<string?> AdmitAsync(
        string action, string? project, Credentials credentials, string transport, string? origin, CancellationToken cancellationToken)
    {
        var level = ActionAccess.Of(action);
        if (level == AccessLevel.Open)
        {
            return ValueTask.FromResult(project);
        }

        if (!_options.RequiresKeys)
        {
            return level == AccessLevel.Admin
                ? throw Errors.NotAuthorized($"Key management and the project listing need {AuthOptions.SectionName}:Mode={AuthOptions.KeysMode}.")
                : ValueTask.FromResult(project);
        }

        if (credentials.Grant)
        {
            // A verified grant names its project and paths; it never reaches the admin actions.
            return level == AccessLevel.Admin
                ? throw Refuse("grant", null, action, project, transport, origin, Errors.NotAuthorized("A pre-signed URL cannot manage keys or list projects."))
                : ValueTask.FromResult(project);
        }

        if (!KeyTokens.TryParse(credentials.Token, out var id, out var hash))
        {
            throw Refuse(credentials.Token is null ? "missing" : "malformed", null, action, project, transport, origin,
                Errors.AuthenticationRequired());
        }

        var now = _clock.GetUtcNow();
        if (_keys.TryGetValue(id, out var cached) && now - cached.ReadAt < _cacheFor)
        {
            return ValueTask.FromResult(Admit(cached, KeyTokens.Matches(hash, cached.Stored.SecretHash), level, action, project, transport, origin, now));
        }

        return AdmitFromStoreAsync(id, hash, level, action, project, transport, origin, now, cancellationToken);
    }

    /// <summary>
    /// Admits a request signed with a key's AWS credentials (the SQS endpoint's Signature Version 4),
    /// as <see cref="AdmitAsync"/> admits a token: <paramref name="signatureMatches"/> is asked with
    /// the key's secret access key, and the key must be live and allowed <paramref name="action"/> in
    /// <paramref name="project"/> (its own project when null). Only with keys required.
    /// </summary>
    public async ValueTask<string?> AdmitSignedAsync(
        string action, string? project, string keyId, Func<string, bool> signatureMatches, string transport, string? origin,
        CancellationToken cancellationToken)
    {
        var level = ActionAccess.Of(action);
        var now = _clock.GetUtcNow();
        if (!_keys.TryGetValue(keyId, out var cached) || now - cached.ReadAt >= _cacheFor)
        {
            var stored = KeyIdShape(keyId) ? await _driver.Keys.GetAsync(keyId, cancellationToken) : null;
            if (stored is null)
            {
                _keys.TryRemove(keyId, out _);
                throw Refuse("unknown", null, action, project, transport, origin, Errors.AuthenticationRequired());
            }

            cached = new CachedKey(stored, now, cached?.TouchedAt ?? stored.Key.LastUsed ?? DateTimeOffset.MinValue);
            _keys[keyId] = cached;
        }

        var secret = cached.AwsSecret ??= await _aws.SecretAccessKeyAsync(keyId, cached.Stored.SecretHash, cancellationToken);
        return Admit(cached, signatureMatches(secret), level, action, project, transport, origin, now);
    }

    /// <summary>A key id as tokens carry it: 16 lower-case hex digits (anything else is not looked up).</summary>
    private static bool KeyIdShape(string id) =>
        id.Length == 16 && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private async ValueTask<string?> AdmitFromStoreAsync(
        string id, byte[] hash, AccessLevel level, string action, string? project, string transport, string? origin,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stored = await _driver.Keys.GetAsync(id, cancellationToken);
        if (stored is null)
        {
            _keys.TryRemove(id, out _);
            throw Refuse("unknown", id, action, project, transport, origin, Errors.AuthenticationRequired());
        }

        var cached = new CachedKey(stored, now, _keys.TryGetValue(id, out var old) ? old.TouchedAt : stored.Key.LastUsed ?? DateTimeOffset.MinValue);
        _keys[id] = cached;
        return Admit(cached, KeyTokens.Matches(hash, cached.Stored.SecretHash), level, action, project, transport, origin, now);
    }

    /// <param name="proven">The request proved it holds the key's secret (token hash or signature).</param>
    private string? Admit(
        CachedKey cached, bool proven, AccessLevel level, string action, string? project, string transport, string? origin,
        DateTimeOffset now)
    {
        var key = cached.Stored.Key;
        if (!proven)
        {
            throw Refuse("secret", key.Id, action, project, transport, origin, Errors.AuthenticationRequired());
        }

        if (key.Revoked is not null)
        {
            throw Refuse("revoked", key.Id, action, project, transport, origin, Errors.AuthenticationRequired());
        }

        if (key.Expires is { } expires && expires <= now)
        {
            throw Refuse("expired", key.Id, action, project, transport, origin, Errors.AuthenticationRequired());
        }

        if (key.Project is { } own)
        {
            if (level == AccessLevel.Admin)
            {
                throw Refuse("scope", key.Id, action, project, transport, origin,
                    Errors.NotAuthorized("Managing keys and listing projects need an admin key."));
            }

            if (project is not null && !string.Equals(project, own, StringComparison.Ordinal))
            {
                throw Refuse("project", key.Id, action, project, transport, origin,
                    Errors.NotAuthorized("The key is not valid for this project."));
            }

            project = own;
        }

        if (!Allows(key.Role, level))
        {
            throw Refuse("role", key.Id, action, project, transport, origin,
                Errors.NotAuthorized($"A {key.Role.ToString().ToLowerInvariant()} key may not {Verb(level)}."));
        }

        RecordUse(cached, now);
        return project;
    }

    private static bool Allows(KeyRole role, AccessLevel level) => (role, level) switch
    {
        (KeyRole.Full, _) => true,
        (_, AccessLevel.ReadQueues) => true,
        (KeyRole.Produce, AccessLevel.Produce) => true,
        (KeyRole.Consume, AccessLevel.Consume) => true,
        _ => false,
    };

    private static string Verb(AccessLevel level) => level switch
    {
        AccessLevel.Produce => "create queues or post messages",
        AccessLevel.Consume => "read, claim or delete messages",
        AccessLevel.Admin => "manage keys or list projects",
        _ => "change queues, shares or subscriptions",
    };

    /// <summary>
    /// Last-used times are written at most once per key per <see cref="AuthOptions.LastUsedResolutionSeconds"/>,
    /// off the request's path, so a busy key costs no write per request.
    /// </summary>
    private void RecordUse(CachedKey cached, DateTimeOffset now)
    {
        if (now - cached.TouchedAt < _touchEvery)
        {
            return;
        }

        cached.TouchedAt = now;
        _ = TouchAsync(cached.Stored.Key.Id, now);
    }

    private async Task TouchAsync(string id, DateTimeOffset now)
    {
        try
        {
            await _driver.Keys.TouchAsync([(id, now)], CancellationToken.None);
        }
        catch (Exception exception)
        {
            // Last-used is informational; a store that cannot take it now will take the next one.
            LogTouchFailed(exception, id);
        }
    }

    private MarconiException Refuse(
        string reason, string? keyId, string action, string? project, string transport, string? origin, MarconiException error)
    {
        _failures.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("transport", transport));
        LogRefused(transport, action, ApiErrors.StatusOf(error.Kind), reason, keyId ?? "(none)", project ?? "(none)", origin ?? "(unknown)");
        return error;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Refused {Transport} request for {Action} with {Status}: {Reason} (key {KeyId}, project {Project}, from {Origin})")]
    private partial void LogRefused(string transport, string action, int status, string reason, string keyId, string project, string origin);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not record the use of key {KeyId}")]
    private partial void LogTouchFailed(Exception exception, string keyId);

    private sealed class CachedKey(StoredKey stored, DateTimeOffset readAt, DateTimeOffset touchedAt)
    {
        public StoredKey Stored { get; } = stored;

        public DateTimeOffset ReadAt { get; } = readAt;

        /// <summary>The key's AWS secret access key, once a signed request needed it.</summary>
        public string? AwsSecret { get; set; }

        /// <summary>When this host last wrote (or the store last had) a use of the key.</summary>
        public DateTimeOffset TouchedAt { get; set; } = touchedAt;
    }
}
