using Marconi.Api;
using Microsoft.AspNetCore.Http;

namespace Marconi.Transport.Http;

/// <summary>
/// An HTTP request as the catalogue reads it: resource names from the route, scalars from the
/// query string (as text; the operation parses them), the document from the body.
/// </summary>
internal sealed class HttpApiRequest(HttpRequest request) : ApiRequest(request.Caller())
{
    /// <summary>The catalogue's <c>message_ids</c> travels as the query parameter <c>ids</c>.</summary>
    private const string MessageIds = "message_ids";

    public override string? Path => request.Path.Value;

    public override string? PathAndQuery => request.PathAndQuery();

    public override bool CarriesMediaType => true;

    public override string? ContentType => request.ContentType;

    public override string Name(string name) =>
        request.RouteValues[name] as string
        ?? throw new InvalidOperationException($"The route has no {{{name}}} segment.");

    public override string? Text(string name, ParameterType type) => request.QueryValue(name);

    /// <summary>The <c>ids</c> list (1.4), or null when the parameter is absent or every value is empty.</summary>
    public override IReadOnlyList<string>? List(string name)
    {
        var values = request.QueryValues(name == MessageIds ? "ids" : name);
        return values.TrueForAll(string.IsNullOrEmpty) ? null : QueryParameters.IdList(values);
    }

    /// <summary>Query parameters by name, last non-empty value winning (1.4), in the order first sent.</summary>
    public override IReadOnlyList<KeyValuePair<string, string>> Others(IReadOnlySet<string> known)
    {
        var others = new List<KeyValuePair<string, string>>();
        foreach (var name in request.QueryNames())
        {
            if (!known.Contains(name) && request.QueryValue(name) is { } value)
            {
                others.Add(new(name, value));
            }
        }

        return others;
    }

    public override IRequestBody Document(DocumentSource source) => new HttpRequestBody(request);
}
