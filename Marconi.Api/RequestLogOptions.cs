using Microsoft.Extensions.Logging;

namespace Marconi.Api;

/// <summary>
/// Section <c>Marconi:Logging</c>: the console format, and the level of the one line each transport
/// writes per request. Requests answered 500 or above are logged at Warning (and failures at Error)
/// whatever <see cref="RequestLevel"/> says.
/// </summary>
public sealed class RequestLogOptions
{
    public const string SectionName = "Marconi:Logging";

    /// <summary>How the default namespace (no <c>X-Project-Id</c>) appears in request lines, on every transport.</summary>
    public const string DefaultProject = "(default)";

    public static readonly string[] Formats = ["text", "json"];

    /// <summary>The levels <see cref="RequestLevel"/> may name (Microsoft.Extensions.Logging's).</summary>
    public static readonly string[] Levels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];

    /// <summary><c>text</c> (one readable line per event) or <c>json</c> (one JSON object per line).</summary>
    public string Format { get; set; } = "text";

    /// <summary>
    /// The level of a request's line. Debug by default, below the shipped minimum (Information), so a
    /// busy server writes none: the line cost a one-message post about a quarter of the server's CPU.
    /// </summary>
    public string RequestLevel { get; set; } = "Debug";

    public bool IsJson => string.Equals(Format, "json", StringComparison.OrdinalIgnoreCase);

    /// <summary><see cref="RequestLevel"/> as a level; call after validation.</summary>
    public LogLevel Level => Enum.Parse<LogLevel>(RequestLevel, ignoreCase: true);

    /// <summary>The first rule the values break, naming its key, or null.</summary>
    public string? Problem()
    {
        if (!Formats.Contains(Format, StringComparer.OrdinalIgnoreCase))
        {
            return $"{SectionName}:Format is '{Format}'; it must be one of {string.Join(", ", Formats)}.";
        }

        if (!Levels.Contains(RequestLevel, StringComparer.OrdinalIgnoreCase))
        {
            return $"{SectionName}:RequestLevel is '{RequestLevel}'; it must be one of {string.Join(", ", Levels)}.";
        }

        return null;
    }
}

internal sealed class RequestLogOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<RequestLogOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, RequestLogOptions options) =>
        options.Problem() is { } problem
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problem)
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
