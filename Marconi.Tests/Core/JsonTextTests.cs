using System.Text;
using System.Text.Json;
using Marconi.Core;

namespace Marconi.Tests.Core;

/// <summary>The one place the server tells readable JSON text from text escaping a lone UTF-16 surrogate.</summary>
public sealed class JsonTextTests
{
    [Theory]
    [InlineData("""  "\ud800"  """, true)]
    [InlineData("""  "\udc00"  """, true)]
    [InlineData("""  "\uDBFF"  """, true)]
    [InlineData("""  "a\ud800b"  """, true)]
    [InlineData("""  "\ud800\u0041"  """, true)]
    [InlineData("""  "\udc00\ud800"  """, true)]
    [InlineData("""  {"\ud800": 1}  """, true)]
    [InlineData("""  ["x", {"a": ["\ud83d"]}]  """, true)]
    [InlineData("""  "\ud83d\ude00"  """, false)]
    [InlineData("""  "\uD83D\uDE00"  """, false)]
    [InlineData("""  "\\ud800"  """, false)]
    [InlineData("""  "\\\ud83d\ude00"  """, false)]
    [InlineData("""  "\u00e9\n\"\/"  """, false)]
    [InlineData("""  {"a": [1, "b"]}  """, false)]
    public void FindsLoneSurrogatesAndOnlyThem(string json, bool lone)
    {
        var bytes = Encoding.UTF8.GetBytes(json.Trim());
        JsonText.HasLoneSurrogate(bytes).Should().Be(lone);

        // It agrees with System.Text.Json, which cannot decode exactly those.
        using var document = JsonDocument.Parse(bytes);
        JsonText.IsReadable(document.RootElement).Should().Be(!lone);
        var decodes = true;
        try
        {
            document.RootElement.WriteTo(new Utf8JsonWriter(Stream.Null));
        }
        catch (InvalidOperationException)
        {
            decodes = false;
        }

        decodes.Should().Be(!lone);
    }

    [Fact]
    public void MembersAndStringsWithoutTextAreSkippedNotThrown()
    {
        using var document = JsonDocument.Parse("""{"\udc00": 1, "a": "\ud800", "b": "ok", "b": "last"}""");
        var root = document.RootElement;
        JsonText.TryGetMember(root, "missing", out _).Should().BeFalse();
        JsonText.TryGetMember(root, "b", out var b).Should().BeTrue();
        JsonText.TryGetString(b, out var text).Should().BeTrue();
        text.Should().Be("last");
        JsonText.TryGetMember(root, "a", out var a).Should().BeTrue();
        JsonText.TryGetString(a, out _).Should().BeFalse();
        root.EnumerateObject().Select(JsonText.NameOf).Should().Equal(null, "a", "b", "b");
    }

    [Fact]
    public void MinifyDropsOnlyWhitespaceOutsideStrings()
    {
        var minified = JsonText.Minify(Encoding.UTF8.GetBytes(" { \"a b\" :\n [ \"\\ud800 \\\" x\" , 1 ] }\t"));
        Encoding.UTF8.GetString(minified).Should().Be("{\"a b\":[\"\\ud800 \\\" x\",1]}");
    }
}
