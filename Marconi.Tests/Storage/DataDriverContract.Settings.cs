namespace Marconi.Tests.Storage;

/// <summary>Persisted server settings, such as a generated signing key.</summary>
public abstract partial class DataDriverContract
{
    [SkippableFact]
    public async Task ASettingIsStoredOnceAndSurvivesARestart()
    {
        (await Driver.GetOrAddSettingAsync("signing_key", "first", default)).Should().Be("first");
        (await Driver.GetOrAddSettingAsync("signing_key", "second", default)).Should().Be("first");

        var racing = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => Driver.GetOrAddSettingAsync("encryption_key", $"value-{i}", default))));
        racing.Distinct().Should().ContainSingle();

        Driver = await ReopenAsync(Driver);
        (await Driver.GetOrAddSettingAsync("signing_key", "third", default)).Should().Be("first");
        (await Driver.GetOrAddSettingAsync("encryption_key", "other", default)).Should().Be(racing[0]);
    }
}
