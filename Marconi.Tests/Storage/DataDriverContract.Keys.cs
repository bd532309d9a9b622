using Marconi.Core.Keys;

namespace Marconi.Tests.Storage;

/// <summary>API keys: stored with their secret's hash only, revoked in place, touched without moving back.</summary>
public abstract partial class DataDriverContract
{
    private StoredKey NewKey(string? project, KeyRole role = KeyRole.Full, string name = "ci")
    {
        var id = KeyTokens.NewId();
        var (_, hash) = KeyTokens.NewSecret(id);
        var created = DateTimeOffset.FromUnixTimeMilliseconds(_now.ToUnixTimeMilliseconds());
        return new StoredKey(new ApiKey(id, name, project, role, created, created.AddDays(30), null, null), hash);
    }

    [SkippableFact]
    public async Task AKeyIsReadBackAsStoredAndSurvivesARestart()
    {
        var key = NewKey("acme", KeyRole.Produce);
        await Driver.Keys.CreateAsync(key, default);

        Driver = await ReopenAsync(Driver);
        var read = await Driver.Keys.GetAsync(key.Key.Id, default);
        read!.Key.Should().Be(key.Key);
        read.SecretHash.Should().Equal(key.SecretHash);
        (await Driver.Keys.GetAsync(KeyTokens.NewId(), default)).Should().BeNull();
    }

    [SkippableFact]
    public async Task KeysAreListedOldestFirstAndByProject()
    {
        var admin = NewKey(null, name: "ops");
        await Driver.Keys.CreateAsync(admin, default);
        Advance(1);
        var acme = NewKey("acme");
        await Driver.Keys.CreateAsync(acme, default);
        Advance(1);
        var other = NewKey("other", KeyRole.Consume);
        await Driver.Keys.CreateAsync(other, default);

        (await Driver.Keys.ListAsync(null, default)).Select(k => k.Id).Should().Equal(admin.Key.Id, acme.Key.Id, other.Key.Id);
        (await Driver.Keys.ListAsync("acme", default)).Should().Equal(acme.Key);
        (await Driver.Keys.ListAsync("nobody", default)).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task RevokingKeepsTheFirstTimeAndStopsRotation()
    {
        var key = NewKey("acme");
        await Driver.Keys.CreateAsync(key, default);

        (await Driver.Keys.RevokeAsync(key.Key.Id, _now, default)).Should().BeTrue();
        (await Driver.Keys.RevokeAsync(key.Key.Id, _now.AddHours(1), default)).Should().BeTrue();
        (await Driver.Keys.RevokeAsync(KeyTokens.NewId(), _now, default)).Should().BeFalse();

        var read = (await Driver.Keys.GetAsync(key.Key.Id, default))!;
        read.Key.Revoked.Should().Be(DateTimeOffset.FromUnixTimeMilliseconds(_now.ToUnixTimeMilliseconds()));
        (await Driver.Keys.ReplaceSecretAsync(key.Key.Id, [1, 2, 3], default)).Should().BeFalse();
        (await Driver.Keys.GetAsync(key.Key.Id, default))!.SecretHash.Should().Equal(key.SecretHash);
    }

    [SkippableFact]
    public async Task RotationReplacesOnlyTheSecret()
    {
        var key = NewKey("acme", KeyRole.Consume);
        await Driver.Keys.CreateAsync(key, default);
        var (_, hash) = KeyTokens.NewSecret(key.Key.Id);

        (await Driver.Keys.ReplaceSecretAsync(key.Key.Id, hash, default)).Should().BeTrue();

        var read = (await Driver.Keys.GetAsync(key.Key.Id, default))!;
        read.SecretHash.Should().Equal(hash);
        read.Key.Should().Be(key.Key);
    }

    [SkippableFact]
    public async Task LastUseNeverMovesBack()
    {
        var key = NewKey("acme");
        await Driver.Keys.CreateAsync(key, default);
        var later = DateTimeOffset.FromUnixTimeMilliseconds(_now.AddMinutes(5).ToUnixTimeMilliseconds());

        await Driver.Keys.TouchAsync([(key.Key.Id, later), (KeyTokens.NewId(), later)], default);
        await Driver.Keys.TouchAsync([(key.Key.Id, later.AddMinutes(-1))], default);

        (await Driver.Keys.GetAsync(key.Key.Id, default))!.Key.LastUsed.Should().Be(later);
    }
}
