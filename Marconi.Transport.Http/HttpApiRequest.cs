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

    /// <summary>The query string's parameters, percent-decoded in order: decoded once, then read by every lookup.</summary>
    private List<KeyValuePair<string, string>>? _query;

    private List<KeyValuePair<string, string>> Query => _query ??= request.QueryPairs();

    public override string? Text(string name, ParameterType type) => LastValue(name);

    /// <summary>The <c>ids</c> list (1.4), or null when the parameter is absent or every value is empty.</summary>
    public override IReadOnlyList<string>? List(string name)
    {
        var key = name == MessageIds ? "ids" : name;
        var values = Query.Where(p => p.Key == key).Select(p => p.Value).ToList();
        return values.TrueForAll(string.IsNullOrEmpty) ? null : QueryParameters.IdList(values);
    }

    /// <summary>Query parameters by name, last non-empty value winning (1.4), in the order first sent.</summary>
    public override IReadOnlyList<KeyValuePair<string, string>> Others(IReadOnlySet<string> known)
    {
        var others = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in Query)
        {
            if (seen.Add(name) && !known.Contains(name) && LastValue(name) is { } value)
            {
                others.Add(new(name, value));
            }
        }

        return others;
    }

    /// <summary>The last non-empty value of a scalar parameter (1.4); null when absent.</summary>
    private string? LastValue(string name)
    {
        var query = Query;
        for (var i = query.Count - 1; i >= 0; i--)
        {
            if (query[i].Key == name && query[i].Value.Length > 0)
            {
                return query[i].Value;
            }
        }

        return null;
    }

    public override IRequestBody Document(DocumentSource source) => new HttpRequestBody(request);
}
