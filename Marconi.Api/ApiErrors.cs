using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Marconi.Core;

namespace Marconi.Api;

/// <summary>
/// The one map from the core's typed errors to statuses, and the one error document
/// (<c>{"title", "description"}</c>), for every API version and transport.
/// </summary>
public static class ApiErrors
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public const string UnexpectedDescription = "An unexpected error prevented the server from fulfilling the request.";

    public static int StatusOf(MarconiErrorKind kind) => kind switch
    {
        MarconiErrorKind.BadRequest => 400,
        MarconiErrorKind.Unauthorized => 401,
        MarconiErrorKind.Forbidden => 403,
        MarconiErrorKind.NotFound => 404,
        MarconiErrorKind.NotAcceptable => 406,
        MarconiErrorKind.Conflict => 409,
        MarconiErrorKind.UnsupportedMediaType => 415,
        MarconiErrorKind.TooManyRequests => 429,
        MarconiErrorKind.ServiceUnavailable => 503,
        MarconiErrorKind.Overloaded => 503,
        _ => 500,
    };

    /// <summary>The error document of every version.</summary>
    public static byte[] Document(string title, string description)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("title"u8, title);
            writer.WriteString("description"u8, description);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The outcome of a failed operation.</summary>
    public static ApiOutcome Outcome(MarconiException error) =>
        new(StatusOf(error.Kind), Document(error.Title, error.Description));

    /// <summary>The outcome of a bug: a 500 that says nothing about the server's insides.</summary>
    public static ApiOutcome Unexpected() =>
        new(500, Document(Errors.InternalErrorTitle, UnexpectedDescription));
}
