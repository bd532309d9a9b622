using Marconi.Bench;

// Benchmarks that print figures; see README "Benchmarks". Not part of the test suite.
var mode = args.FirstOrDefault() ?? "help";
try
{
    return await RunAsync();
}
catch (BenchUsageException exception)
{
    Console.Error.WriteLine($"bench {mode}: {exception.Message}");
    return 2;
}

async Task<int> RunAsync()
{
    // The options of the verbs that take them; the others read their own command line.
    BenchOptions Options() => BenchOptions.Parse(args.Skip(1).ToArray());
    switch (mode)
    {
        case "post":
            await PostBench.RunAsync(Options());
            return 0;
        case "api":
            await ApiBench.RunAsync(Options());
            return 0;
        case "auth":
            await AuthBench.RunAsync(Options());
            return 0;
        case "scale":
            await ScaleBench.RunAsync(Options());
            return 0;
        case "groups":
            await ScaleBench.RunGroupsAsync(Options());
            return 0;
        case "flood":
            await FloodBench.RunAsync(Options());
            return 0;
        case "delete":
            await DeleteBench.RunAsync(Options());
            return 0;
        case "metrics":
            MetricsBench.Run(args.Length > 1 ? BenchArgs.Whole("CALLS", args[1], min: 1) : 5_000_000);
            return 0;
        case "perf":
            return await PerfBench.RunAsync(args.Skip(1).ToArray());
        case "stores":
            return await StoresBench.RunAsync(args.Skip(1).ToArray());
        case "dashboard":
            return await DashboardBench.RunAsync(args.Skip(1).ToArray());
        case "consume":
            return await ConsumeBench.RunAsync(args.Skip(1).ToArray());
        case "sqs":
            return await SqsBench.RunAsync(args.Skip(1).ToArray());
        case "ceiling-kestrel":
            // The minimal Kestrel app of perf's ceiling, started by perf itself as a process of its own.
            return await PerfBench.RunKestrelCeilingAsync(int.Parse(args[1]));
        default:
            Console.WriteLine("""
                usage: dotnet run -c Release --project Marconi.Bench -- post  [--seconds 10] [--clients 1,16] [--sizes 100,10240]
                       dotnet run -c Release --project Marconi.Bench -- api   [--seconds 10] [--clients 1,16]
                       dotnet run -c Release --project Marconi.Bench -- auth  [--seconds 10] [--clients 1,16]
                       dotnet run -c Release --project Marconi.Bench -- scale [--counts 10,100000,1000000] [--iterations 200]
                       dotnet run -c Release --project Marconi.Bench -- groups [--counts 10,100000,1000000] [--iterations 200]
                       dotnet run -c Release --project Marconi.Bench -- flood [--seconds 10] [--clients 256,1024]
                       dotnet run -c Release --project Marconi.Bench -- delete [--counts 100000,1000000]
                       dotnet run -c Release --project Marconi.Bench -- metrics [CALLS]
                       dotnet run -c Release --project Marconi.Bench -- perf  [--seconds 5] [--connections 16] [--json FILE] [--compare FILE] [--server DIR] [--only ROWS]
                                                                             [--set Key=Value]... [--variant LABEL:Key=Value[,Key=Value]]... [--rounds N]
                       dotnet run -c Release --project Marconi.Bench -- consume [--seconds 10] [--interval 50] [--consumers 1] [--limit 1] [--wait 20]
                                                                             [--polls 100,1000] [--warmup 2] [--server DIR] [--set Key=Value]... [--only WORDS]
                       dotnet run -c Release --project Marconi.Bench -- stores [--seconds 5] [--warmup 3] [--connections 16] [--rounds 1] [--postgres CONNSTR]
                                                                             [--server DIR] [--set Key=Value]...
                       dotnet run -c Release --project Marconi.Bench -- dashboard [--seconds 10] [--connections 16] [--rounds 3] [--warmup 3]
                                                                             [--server DIR] [--set Key=Value]...
                       dotnet run -c Release --project Marconi.Bench -- sqs [--seconds 10] [--rounds 3] [--warmup 3] [--connections 16] [--fill N]
                                                                             [--only WORKLOADS] [--server DIR] [--set Key=Value]...
                post:  message post round trips, HTTP and ZeroMQ, against the real server process on loopback
                api:   v1 and v2 side by side over HTTP: one-message posts, and claim-one-then-delete
                auth:  Mode=none beside Mode=keys over HTTP: one-message posts, and claim-one-then-delete
                scale: cost of a claim, a page of messages and queue stats as a queue grows (storage driver)
                groups: cost of an SQS FIFO receive of 10 behind a held group's backlog, and over many groups (storage driver)
                flood: N HTTP connections posting flat out: answers/s, p50/p99, 503 share, server peak RSS, stored vs acknowledged
                delete: longest wait of a concurrent poster while a big queue is deleted (storage driver)
                metrics: ns and bytes one request's measurement costs, metrics off and on (OpenTelemetry listening)
                perf:  the performance issue's table: HTTP post-1, post-10, list-10, claim 10 + delete each, ZeroMQ
                       post and stats latency, each beside its ceiling (minimal Kestrel app, raw SQLite fsync loop);
                       --variant runs the server rows again with other settings in the same run, beside the plain
                       server, e.g. --variant metrics-off:Marconi:Metrics:Enabled=false --rounds 2
                stores: perf's post-1, post-10 and claim-10+delete on SQLite (1 host) and PostgreSQL (1 host, and 2 hosts
                       sharing one database), with ratios to SQLite; PostgreSQL is --postgres, else a throwaway
                       cluster with fsync on that the bench starts and stops
                dashboard: perf's post-1 with the dashboard closed, and open in headless Chromium on the queue list and on the
                       posted-to queue's page, in alternating order per round: req/s by round, the means, and what the open page costs
                consume: long-poll beside polling every 100 ms and 1 s, HTTP and ZeroMQ: one producer posting every
                       --interval ms, post-to-consumer latency p50/p99/max and requests (claims + deletes) per message
                sqs:   the SQS endpoint through the AWS SDK beside the v2 API on the same host: SendMessage beside a one-message post, and
                       ReceiveMessage of 10 then DeleteMessageBatch (or DeleteMessage each) beside a claim of 10 then a delete by ids (or each
                       by href); msg/s, p50/p99 per request, server and client CPU per message, a new server per round, SDK/v2 order alternating
                """);
            return mode == "help" ? 0 : 2;
    }
}
