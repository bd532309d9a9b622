using Marconi.Core.Operations;

namespace Marconi.Api;

/// <summary>The health report of v2 contract 5.4.</summary>
public static class HealthReportRepresentation
{
    public static byte[] Render(HealthReport report) => Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WriteBoolean("storage_reachable"u8, report.StorageReachable);
        w.WriteStartObject("operation_status"u8);
        foreach (var step in report.Operations)
        {
            w.WriteStartObject(step.Name);
            w.WriteBoolean("succeeded"u8, step.Succeeded);
            w.WriteNumber("seconds"u8, step.Seconds);
            if (step.Ref is null)
            {
                w.WriteNull("ref"u8);
            }
            else
            {
                w.WriteString("ref"u8, step.Ref);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
        if (report.Volume is { } volume)
        {
            w.WriteStartObject("message_volume"u8);
            w.WriteNumber("free"u8, volume.Free);
            w.WriteNumber("claimed"u8, volume.Claimed);
            w.WriteNumber("total"u8, volume.Total);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    });
}
