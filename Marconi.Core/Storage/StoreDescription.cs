namespace Marconi.Core.Storage;

/// <summary>
/// What a driver says about the store it opened, for the host's start-up line: where the data is
/// (<paramref name="Store"/>, without secrets) and what a 201 promises (<paramref name="Durability"/>).
/// A driver registers one beside its <see cref="IDataDriver"/>.
/// </summary>
public sealed record StoreDescription(string Store, string Durability);
