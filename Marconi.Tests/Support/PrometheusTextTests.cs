namespace Marconi.Tests.Support;

/// <summary>The test parser reads what the exposition format allows, so scrape assertions rest on it.</summary>
public sealed class PrometheusTextTests
{
    [Fact]
    public void ReadsTypesLabelsEscapesAndSpecialValues()
    {
        var text = PrometheusText.Parse(
            "# HELP marconi_requests_total Requests.\n" +
            "# TYPE marconi_requests_total counter\n" +
            "marconi_requests_total{transport=\"http\",queue=\"a\\\"b\\\\c\\nd\"} 3 1700000000000\n" +
            "marconi_request_duration_seconds_bucket{le=\"+Inf\"} 2\n" +
            "up 1.5e3\n" +
            "weird NaN\n");

        text.Types.Should().ContainKey("marconi_requests_total").WhoseValue.Should().Be("counter");
        text.Samples.Should().HaveCount(4);
        var first = text.Samples[0];
        first.Labels.Should().Equal(new Dictionary<string, string> { ["transport"] = "http", ["queue"] = "a\"b\\c\nd" });
        first.Value.Should().Be(3);
        text.Sum("marconi_request_duration_seconds_bucket", ("le", "+Inf")).Should().Be(2);
        text.Sum("up").Should().Be(1500);
        double.IsNaN(text.Samples[3].Value).Should().BeTrue();
        text.Sum("absent").Should().Be(0);
    }
}
