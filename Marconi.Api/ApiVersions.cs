using Microsoft.Extensions.Options;

namespace Marconi.Api;

/// <summary>Section <c>Marconi:Api</c>: which API versions are served (v2 contract 1.3, 13.1).</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Marconi:Api";

    public static readonly string[] KnownVersions = ["1", "1.1", "2"];

    /// <summary>The served versions by id; null means all of them.</summary>
    public string[]? Versions { get; set; }

    public bool Serves(string id) => (Versions ?? KnownVersions).Contains(id, StringComparer.Ordinal);
}

/// <summary>Start-up validation of <see cref="ApiOptions"/>; the message names the key.</summary>
internal sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var key = $"{ApiOptions.SectionName}:Versions";
        if (options.Versions is { Length: 0 })
        {
            return ValidateOptionsResult.Fail($"{key} must name at least one version.");
        }

        var unknown = options.Versions?.FirstOrDefault(v => !ApiOptions.KnownVersions.Contains(v, StringComparer.Ordinal));
        return unknown is null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{key} names '{unknown}'; valid versions: {string.Join(", ", ApiOptions.KnownVersions)}.");
    }
}

/// <summary>The versions document served at <c>GET /</c> (v2 contract 5.1, which replaces v1 3.20).</summary>
public sealed class ApiVersions(IOptions<ApiOptions> options)
{
    private sealed record Version(string Id, string Status, string Updated, string MediaType, string Href);

    /// <summary>The <c>updated</c> strings are the reference's, not valid ISO 8601; clients do not parse them.</summary>
    private static readonly Version[] All =
    [
        new("1", "DEPRECATED", "2014-9-11T17:47:05Z", "application/vnd.openstack.messaging-v1+json", "/v1/"),
        new("1.1", "DEPRECATED", "2016-7-29T02:22:47Z", "application/vnd.openstack.messaging-v1_1+json", "/v1.1/"),
        new("2", "CURRENT", "2014-9-24T04:06:47Z", "application/vnd.openstack.messaging-v2+json", "/v2/"),
    ];

    /// <summary>300 Multiple Choices, listing every served version.</summary>
    public ApiOutcome Outcome { get; } = new(300, Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("versions"u8);
        foreach (var version in All.Where(v => options.Value.Serves(v.Id)))
        {
            w.WriteStartObject();
            w.WriteString("id"u8, version.Id);
            w.WriteString("status"u8, version.Status);
            w.WriteString("updated"u8, version.Updated);
            w.WriteStartArray("media-types"u8);
            w.WriteStartObject();
            w.WriteString("base"u8, "application/json");
            w.WriteString("type"u8, version.MediaType);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("links"u8);
            w.WriteStartObject();
            w.WriteString("href"u8, version.Href);
            w.WriteString("rel"u8, "self");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }))
    {
        ContentType = "application/json",
    };
}
