namespace Marconi.Core.Storage;

/// <summary>
/// The clock of a store that several hosts share, supplied by its driver (the database's clock), so
/// every host decides claims and expiry by the same "now". A driver registers one as a singleton
/// <see cref="StoreClock"/>; Core's <see cref="TimeProvider"/> is then this clock, whether the driver
/// was added before or after Core, and the system clock where no driver registered one. Only
/// <see cref="TimeProvider.GetUtcNow"/> need be overridden: timers and timestamps stay the host's.
/// </summary>
/// <remarks>
/// A <see cref="TimeProvider"/> itself rather than an interface that hands one out: it is what every
/// operation already takes, so nothing wraps it, and tests that replace <see cref="TimeProvider"/> still do.
/// </remarks>
public abstract class StoreClock : TimeProvider;
