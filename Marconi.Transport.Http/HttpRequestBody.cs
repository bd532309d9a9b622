using System.Buffers;
using Marconi.Api;
using Marconi.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Transport.Http;

/// <summary>
/// An HTTP request body for the core: the declared Content-Length, whether there is a body at
/// all, and a bounded read that gives up as soon as more than the limit has arrived, so an
/// oversized body (chunked, without Content-Length) is never buffered whole. What is buffered is
/// taken from the server-wide <see cref="RequestBodyBudget"/> first; past it the request is
/// refused with 503 before more is read.
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
        var budget = request.HttpContext.RequestServices.GetRequiredService<RequestBodyBudget>();
        var lease = new RequestBodyBudget.Lease(budget);
        request.HttpContext.Response.RegisterForDispose(lease);
        long reserved = Math.Max(capacity, 1);
        if (!lease.TryGrow(reserved))
        {
            throw Overloaded(budget);
        }

        var collected = new ArrayBufferWriter<byte>((int)reserved);
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (collected.WrittenCount + buffer.Length > maxBytes)
            {
                reader.AdvanceTo(buffer.End);
                return null;
            }

            var needed = collected.WrittenCount + buffer.Length;
            if (needed > reserved)
            {
                if (!lease.TryGrow(needed - reserved))
                {
                    throw Overloaded(budget);
                }

                reserved = needed;
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

    private static MarconiException Overloaded(RequestBodyBudget budget) =>
        Errors.Overloaded($"{budget.Limit} bytes of request bodies already in flight");
}
