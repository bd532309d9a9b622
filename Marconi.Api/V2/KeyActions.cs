using System.Globalization;
using System.Text.Json;
using Marconi.Core;
using Marconi.Core.Keys;

namespace Marconi.Api.V2;

/// <summary>
/// Key management (<c>/v2/admin/keys</c>; ZeroMQ actions <c>key_*</c>): create and rotate answer the
/// secret, once; nothing else ever shows it. Only an admin key reaches these actions (<see cref="Access.AccessGate"/>).
/// </summary>
public sealed class KeyActions(KeyOperations keys, Access.AwsCredentials aws)
{
    public const string Path = "/v2/admin/keys";
    private const int MaxDocumentBytes = 4096;
    private static readonly HashSet<string> CreateMembers = ["name", "project", "admin", "role", "expires"];

    public static readonly DocumentSource CreateDocument = DocumentSource.ObjectOf([.. CreateMembers]);

    /// <summary>201 with the key and its secret; Location names the key.</summary>
    public async Task<ApiOutcome> Create(ApiRequest r, CancellationToken t)
    {
        using var document = await JsonBody.ReadAsync(
            r.Document(CreateDocument), MaxDocumentBytes, $"A key request may not exceed {MaxDocumentBytes} bytes.", t);
        var issued = await keys.CreateAsync(ReadRequest(JsonBody.RequireObject(document)), t);
        return new ApiOutcome(201, await RenderIssuedAsync(issued, t)) { Location = Href(issued.Key.Id) };
    }

    /// <summary>Every key (optionally of one project), revoked ones included, without secrets.</summary>
    public async Task<ApiOutcome> List(ApiRequest r, CancellationToken t)
    {
        var project = r.Text("project", ParameterType.String);
        var list = await keys.ListAsync(string.IsNullOrEmpty(project) ? null : project, t);
        return ApiOutcome.Ok(Rendering.Render(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("keys"u8);
            foreach (var key in list)
            {
                Write(w, key, null, null);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    public async Task<ApiOutcome> Get(ApiRequest r, CancellationToken t) =>
        ApiOutcome.Ok(Render(await keys.GetAsync(r.Name("key_id"), t), null));

    /// <summary>204; the key stops working at once on this host, within <c>Marconi:Auth:KeyCacheSeconds</c> on others.</summary>
    public async Task<ApiOutcome> Revoke(ApiRequest r, CancellationToken t)
    {
        await keys.RevokeAsync(r.Name("key_id"), t);
        return ApiOutcome.NoContent;
    }

    /// <summary>200 with the key and its new secret; the old secret stops working.</summary>
    public async Task<ApiOutcome> Rotate(ApiRequest r, CancellationToken t)
    {
        var issued = await keys.RotateAsync(r.Name("key_id"), t);
        return new ApiOutcome(200, await RenderIssuedAsync(issued, t)) { Location = Href(issued.Key.Id) };
    }

    public static string Href(string id) => $"{Path}/{id}";

    private static KeyRequest ReadRequest(JsonElement root)
    {
        foreach (var member in root.EnumerateObject())
        {
            if (!CreateMembers.Contains(member.Name))
            {
                throw Errors.InvalidBody($"\"{member.Name}\" is not a field of a key; use name, project or admin, role, expires.");
            }
        }

        var name = JsonBody.TryGetMember(root, "name", out var n) && n.ValueKind == JsonValueKind.String
            ? n.GetString()!
            : throw Errors.InvalidBody("\"name\" is required and must be a string.");
        string? project = null;
        if (JsonBody.TryGetMember(root, "project", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            project = p.ValueKind == JsonValueKind.String ? p.GetString() : throw Errors.InvalidBody("\"project\" must be a string.");
        }

        var admin = false;
        if (JsonBody.TryGetMember(root, "admin", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            admin = a.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? a.GetBoolean()
                : throw Errors.InvalidBody("\"admin\" must be true or false.");
        }

        if (admin == (project is not null))
        {
            throw Errors.InvalidBody("A key needs either a \"project\" or \"admin\": true, not both.");
        }

        var role = KeyRole.Full;
        if (JsonBody.TryGetMember(root, "role", out var r) && r.ValueKind != JsonValueKind.Null)
        {
            role = r.ValueKind == JsonValueKind.String && TryParseRole(r.GetString(), out var parsed)
                ? parsed
                : throw Errors.InvalidBody("\"role\" must be full, produce or consume.");
        }

        DateTimeOffset? expires = null;
        if (JsonBody.TryGetMember(root, "expires", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            expires = e.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(
                e.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
                ? at
                : throw Errors.InvalidBody("\"expires\" must be an ISO 8601 time, such as 2030-01-01T00:00:00Z.");
        }

        return new KeyRequest(name, project, role, expires);
    }

    public static bool TryParseRole(string? text, out KeyRole role)
    {
        role = KeyRole.Full;
        switch (text)
        {
            case "full":
                return true;
            case "produce":
                role = KeyRole.Produce;
                return true;
            case "consume":
                role = KeyRole.Consume;
                return true;
            default:
                return false;
        }
    }

    public static string RoleName(KeyRole role) => role switch
    {
        KeyRole.Produce => "produce",
        KeyRole.Consume => "consume",
        _ => "full",
    };

    private static byte[] Render(ApiKey key, string? secret) => Rendering.Render(w => Write(w, key, secret, null));

    /// <summary>A key just issued: its token, and the AWS credentials the SQS endpoint checks signatures with.</summary>
    private async Task<byte[]> RenderIssuedAsync(IssuedKey issued, CancellationToken t)
    {
        var credentials = await aws.ForTokenAsync(issued.Token, t);
        return Rendering.Render(w => Write(w, issued.Key, issued.Token, credentials));
    }

    private static void Write(Utf8JsonWriter w, ApiKey key, string? secret, (string AccessKeyId, string SecretAccessKey)? aws)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, key.Id);
        w.WriteString("name"u8, key.Name);
        w.WriteString("scope"u8, key.IsAdmin ? "admin" : "project");
        if (key.Project is { } project)
        {
            w.WriteString("project"u8, project);
        }
        else
        {
            w.WriteNull("project"u8);
        }

        w.WriteString("role"u8, RoleName(key.Role));
        w.WriteString("created"u8, Rendering.Timestamp(key.Created));
        WriteTime(w, "expires"u8, key.Expires);
        WriteTime(w, "last_used"u8, key.LastUsed);
        WriteTime(w, "revoked"u8, key.Revoked);
        w.WriteString("href"u8, Href(key.Id));
        if (secret is not null)
        {
            w.WriteString("secret"u8, secret);
        }

        if (aws is { } credentials)
        {
            w.WriteString("aws_access_key_id"u8, credentials.AccessKeyId);
            w.WriteString("aws_secret_access_key"u8, credentials.SecretAccessKey);
        }

        w.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter w, ReadOnlySpan<byte> name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            w.WriteString(name, Rendering.Timestamp(value));
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
