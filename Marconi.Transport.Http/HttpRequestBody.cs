using System.Buffers;
using Marconi.Api;
using Microsoft.AspNetCore.Http;

namespace Marconi.Transport.Http;

/// <summary>
/// An HTTP request body for the core: the declared Content-Length, whether there is a body at
/// all, and a bounded read that gives up as soon as more than the limit has arrived, so an
/// oversized body (chunked, without Content-Length) is never buffered whole.
/// </summary>
internal sealed class HttpRequestBody(HttpRequest request) : IRequestBody
{
    public long? DeclaredLength => request.ContentLength;

    /// <summary>No Content-Length and nothing that could carry a body (no chunked encoding).</summary>
    public bool IsMissing => !V1RequestChecks.HasBody(request);

    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(int maxBytes, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        var capacity = (int)Math.Min(request.ContentLength ?? 4096, maxBytes + 1L);
        var collected = new ArrayBufferWriter<byte>(Math.Max(capacity, 1));
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (collected.WrittenCount + buffer.Length > maxBytes)
            {
                reader.AdvanceTo(buffer.End);
                return null;
            }

            foreach (var segment in buffer)
            {
                collected.Write(segment.Span);
            }

            reader.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                return collected.WrittenMemory;
            }
        }
    }
}
