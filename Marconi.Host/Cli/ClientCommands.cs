using System.CommandLine;
using System.Text.Json;
using Marconi.Client;
using Marconi.Storage.Postgres;

namespace Marconi.Host.Cli;

/// <summary>
/// The client verbs of the <c>marconi</c> binary (<c>queue</c>, <c>message</c>, <c>claim</c>,
/// <c>subscription</c>, <c>health</c>, <c>key</c>), speaking v2 by default (<c>--api v1</c> otherwise), built on <see cref="MarconiClient"/>. Results go to stdout as JSON (or a table);
/// failures are one line on stderr and a non-zero exit code: 1 for what the server or the network
/// said, 2 for a bad invocation.
/// </summary>
internal sealed class ClientCommands
{
    private const int Failed = 1;
    private const int Usage = 2;

    private readonly TextReader _stdin;
    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;

    private readonly Option<string> _url = new("--url")
    {
        Description = "Server URL: http://… for HTTP, tcp://… for ZeroMQ (default: $MARCONI_URL, else http://127.0.0.1:8888)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MARCONI_URL") is { Length: > 0 } url ? url : "http://127.0.0.1:8888",
    };

    private readonly Option<string?> _project = new("--project")
    {
        Description = "Project id (X-Project-Id); default: $MARCONI_PROJECT, else the default namespace. " +
            "Under 'key' it is the key's project (create) or the listing's filter (list), and only an explicit --project counts",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MARCONI_PROJECT") is { Length: > 0 } p ? p : null,
    };

    private readonly Option<Guid?> _clientId = new("--client-id")
    {
        Description = "Client-ID (a UUID); generated when absent",
        Recursive = true,
    };

    private readonly Option<string> _api = new("--api")
    {
        Description = "API version: v2 (needs --project) or v1",
        Recursive = true,
        DefaultValueFactory = _ => "v2",
    };

    private readonly Option<string?> _grant = new("--grant")
    {
        Description = "Act with a pre-signed grant: the JSON that 'queue share' prints (v2 over HTTP; gives the project)",
        Recursive = true,
    };

    private readonly Option<string?> _token = new("--token")
    {
        Description = "API key of a server with Marconi:Auth:Mode=keys, sent as X-Auth-Token (default: $MARCONI_TOKEN); " +
            "a project key stands in for --project",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MARCONI_TOKEN") is { Length: > 0 } token ? token : null,
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "Output format",
        Recursive = true,
        DefaultValueFactory = _ => "json",
    };

    public ClientCommands(TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        _stdin = stdin;
        _stdout = stdout;
        _stderr = stderr;
        _output.AcceptOnlyFromAmong("json", "table");
        _api.AcceptOnlyFromAmong("v1", "v2");
    }

    public Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Marconi: a queuing service. With no verb (or 'serve') it runs the server; the other verbs are a client.")
        {
            ServeCommand(), BackupCommand(), VersionCommand(), QueueCommand(), MessageCommand(), ClaimCommand(), SubscriptionCommand(), HealthCommand(), KeyCommand(),
        };
        root.Options.Add(_url);
        root.Options.Add(_api);
        root.Options.Add(_project);
        root.Options.Add(_grant);
        root.Options.Add(_clientId);
        root.Options.Add(_token);
        root.Options.Add(_output);
        var parsed = root.Parse(args);
        if (parsed.UnmatchedTokens.Count > 0)
        {
            // Name what was not understood, and where: `queue lst` is a bad verb of `queue`, not a missing one.
            var path = string.Join(' ', parsed.CommandResult.Command.Name == root.Name
                ? ["marconi"]
                : new[] { "marconi" }.Concat(CommandPath(parsed.CommandResult)));
            return Task.FromResult(Fail(Usage, $"'{parsed.UnmatchedTokens[0]}' is not a verb or option of '{path}' (see {path} --help)"));
        }

        if (parsed.Errors.Count > 0)
        {
            // A bad invocation: one line, exit code 2 (help is one --help away).
            return Task.FromResult(Fail(Usage, $"{parsed.Errors[0].Message} (see --help)"));
        }

        // Ctrl-C and SIGTERM cancel the verb; 'message consume' then releases what it holds, which may take a moment.
        return parsed.InvokeAsync(new InvocationConfiguration { Output = _stdout, Error = _stderr, ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult? result)
    {
        var names = new Stack<string>();
        for (var current = result; current?.Parent is not null; current = current.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Push(current.Command.Name);
        }

        return names;
    }

    // serve, backup and version are listed here for --help; MarconiCommandLine runs them when they come first.
    private Command ServeCommand() => Listed("serve",
        "Run the server (the default with no verb): --url, --db, --config FILE, and any setting as --Section:Key=value");

    private Command BackupCommand() => Listed("backup", "Copy a store file while a server runs on it: --db PATH --to FILE [--force]");

    private Command VersionCommand() => Listed("version", "Print the version");

    private Command Listed(string name, string description)
    {
        var command = new Command(name, description) { TreatUnmatchedTokensAsErrors = false };
        command.SetAction(_ => Fail(Usage, $"'{name}' must come first: marconi {name} --help tells its options"));
        return command;
    }

    private Command QueueCommand()
    {
        var name = QueueName();
        var detailed = new Option<bool>("--detailed") { Description = "Include each queue's metadata" };
        var list = new Command("list", "List the project's queues (every page)") { detailed };
        list.SetAction(Run(async (r, client, output, ct) =>
        {
            var queues = new List<MarconiQueue>();
            await foreach (var queue in client.ListQueuesAsync(r.GetValue(detailed), cancellationToken: ct))
            {
                queues.Add(queue);
            }

            output.Queues(queues);
            return 0;
        }));

        var create = new Command("create", "Create a queue (succeeds if it exists)") { name };
        create.SetAction(Run(async (r, client, output, ct) =>
        {
            var queue = await client.CreateQueueAsync(r.GetValue(name)!, ct);
            output.Object([("name", queue.Name), ("href", $"{Root(client)}/queues/{queue.Name}")]);
            return 0;
        }));

        var delete = new Command("delete", "Delete a queue with its messages and claims") { name };
        delete.SetAction(Run(async (r, client, output, ct) =>
        {
            await client.Queue(r.GetValue(name)!).DeleteAsync(ct);
            output.Object([("name", r.GetValue(name)), ("deleted", true)]);
            return 0;
        }));

        var exists = new Command("exists", "Tell whether a queue exists (exit code 1 when it does not)") { name };
        exists.SetAction(Run(async (r, client, output, ct) =>
        {
            var found = await client.Queue(r.GetValue(name)!).ExistsAsync(ct);
            output.Object([("name", r.GetValue(name)), ("exists", found)]);
            if (!found)
            {
                _stderr.WriteLine($"marconi: queue {r.GetValue(name)} does not exist");
            }

            return found ? 0 : Failed;
        }));

        var stats = new Command("stats", "Print the queue's statistics as the server gives them") { name };
        stats.SetAction(Run(async (r, client, output, ct) =>
        {
            output.Document((await client.Queue(r.GetValue(name)!).GetStatsAsync(ct)).Raw);
            return 0;
        }));

        var metadataGet = new Command("get", "Print the queue's metadata") { name };
        metadataGet.SetAction(Run(async (r, client, output, ct) =>
        {
            output.Document(await client.Queue(r.GetValue(name)!).GetMetadataAsync(ct));
            return 0;
        }));

        var document = new Argument<string?>("json") { Description = "The metadata object (read from stdin when absent)", Arity = ArgumentArity.ZeroOrOne };
        var metadataSet = new Command("set", "Replace the queue's metadata") { name, document };
        metadataSet.SetAction(Run(async (r, client, output, ct) =>
        {
            var metadata = ReadJson(r.GetValue(document), "metadata");
            await client.Queue(r.GetValue(name)!).SetMetadataAsync(metadata, ct);
            output.Object([("name", r.GetValue(name)), ("metadata", metadata)]);
            return 0;
        }));

        var patchDocument = new Argument<string?>("json-patch")
        {
            Description = """A JSON patch array, e.g. [{"op":"add","path":"/metadata/colour","value":"red"}] (read from stdin when absent)""",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var metadataPatch = new Command("patch", "Apply a JSON patch to the metadata (v2); prints the result") { name, patchDocument };
        metadataPatch.SetAction(Run(async (r, client, output, ct) =>
        {
            var operations = PatchOperations(ReadJson(r.GetValue(patchDocument), "JSON patch"));
            output.Document(await client.Queue(r.GetValue(name)!).PatchMetadataAsync(operations, ct));
            return 0;
        }));

        var defaultTtl = new Option<int?>("--default-ttl") { Description = "TTL of messages posted without one (60 to 1209600)" };
        var defaultDelay = new Option<int?>("--default-delay") { Description = "Delay of messages posted without one (0 to 900)" };
        var maxPostSize = new Option<int?>("--max-post-size") { Description = "Most bytes in one post" };
        var maxClaimCount = new Option<int?>("--max-claim-count") { Description = "Claims before a message goes to the dead-letter queue" };
        var deadLetterQueue = new Option<string?>("--dead-letter-queue") { Description = "Where messages claimed too often go" };
        var deadLetterTtl = new Option<int?>("--dead-letter-ttl") { Description = "TTL given to dead-lettered messages" };
        var settings = new Command("settings", "Print the queue's reserved settings (v2); with options, change them first")
        {
            name, defaultTtl, defaultDelay, maxPostSize, maxClaimCount, deadLetterQueue, deadLetterTtl,
        };
        settings.SetAction(Run(async (r, client, output, ct) =>
        {
            var queue = client.Queue(r.GetValue(name)!);
            var change = new QueueSettings
            {
                DefaultMessageTtl = r.GetValue(defaultTtl), DefaultMessageDelay = r.GetValue(defaultDelay), MaxMessagesPostSize = r.GetValue(maxPostSize),
                MaxClaimCount = r.GetValue(maxClaimCount), DeadLetterQueue = r.GetValue(deadLetterQueue), DeadLetterQueueMessagesTtl = r.GetValue(deadLetterTtl),
            };
            output.Settings(queue.Name, change == new QueueSettings() ? await queue.GetSettingsAsync(ct) : await queue.UpdateSettingsAsync(change, ct));
            return 0;
        }));

        var purgeMessages = new Option<bool>("--messages") { Description = "Purge messages (both kinds when neither is given)" };
        var purgeSubscriptions = new Option<bool>("--subscriptions") { Description = "Purge subscriptions" };
        var purge = new Command("purge", "Delete every message and/or subscription of the queue (v2); metadata is kept") { name, purgeMessages, purgeSubscriptions };
        purge.SetAction(Run(async (r, client, output, ct) =>
        {
            var targets = (r.GetValue(purgeMessages) ? PurgeTargets.Messages : 0) | (r.GetValue(purgeSubscriptions) ? PurgeTargets.Subscriptions : 0);
            targets = targets == 0 ? PurgeTargets.All : targets;
            await client.Queue(r.GetValue(name)!).PurgeAsync(targets, ct);
            output.Object([("name", r.GetValue(name)), ("purged", targets.ToString().ToLowerInvariant())]);
            return 0;
        }));

        var paths = new Option<string[]>("--path") { Description = "messages, subscriptions or claims (repeatable; default messages)", AllowMultipleArgumentsPerToken = false };
        var methods = new Option<string[]>("--method") { Description = "HTTP method allowed (repeatable; default GET)" };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "Expiry, ISO 8601 (default: a day from now)" };
        var share = new Command("share", "Create a pre-signed grant on the queue (v2); use it with --grant") { name, paths, methods, expires };
        share.SetAction(Run(async (r, client, output, ct) =>
        {
            output.Grant(await client.Queue(r.GetValue(name)!).ShareAsync(r.GetValue(paths), r.GetValue(methods), r.GetValue(expires), ct));
            return 0;
        }));

        return new Command("queue", "Queues: list, create, delete, exists, stats, metadata, settings, purge, share")
        {
            list, create, delete, exists, stats, new Command("metadata", "Queue metadata: get, set, patch") { metadataGet, metadataSet, metadataPatch },
            settings, purge, share,
        };
    }

    private Command MessageCommand()
    {
        var name = QueueName();
        var body = new Argument<string?>("body") { Description = "The message body as JSON (read from stdin when absent)", Arity = ArgumentArity.ZeroOrOne };
        var ttl = new Option<int?>("--ttl") { Description = "Seconds the message lives (60 to 1209600; default: v1 3600, v2 the queue's default)" };
        var delay = new Option<int?>("--delay") { Description = "Seconds before the message is visible, on a delayed queue (v2, 0 to 900)" };
        var post = new Command("post", "Post one message") { name, body, ttl, delay };
        post.SetAction(Run(async (r, client, output, ct) =>
        {
            var queue = client.Queue(r.GetValue(name)!);
            // v1 requires a TTL: keep the CLI's historical default there.
            var messageTtl = r.GetValue(ttl) ?? (client.Api == MarconiApi.V1 ? 3600 : null);
            var id = await queue.PostAsync(ReadJson(r.GetValue(body), "message body"), messageTtl, r.GetValue(delay), ct);
            output.Object([("id", id), ("href", $"{Root(client)}/queues/{queue.Name}/messages/{id}")]);
            return 0;
        }));

        var count = new Option<int>("--count") { Description = "Most messages to pop (1 to 20)", DefaultValueFactory = _ => 1 };
        var pop = new Command("pop", "Remove and print the oldest free messages (v2)") { name, count };
        pop.SetAction(Run(async (r, client, output, ct) =>
        {
            output.Popped(await client.Queue(r.GetValue(name)!).PopAsync(r.GetValue(count), ct));
            return 0;
        }));

        var echo = new Option<bool>("--echo") { Description = "Include messages this client id posted" };
        var includeClaimed = new Option<bool>("--include-claimed") { Description = "Include claimed messages" };
        var limit = new Option<int?>("--limit") { Description = "List at most this many messages (default: all)" };
        var list = new Command("list", "List messages in FIFO order (every page)") { name, echo, includeClaimed, limit };
        list.SetAction(Run(async (r, client, output, ct) =>
        {
            var queue = await ExistingQueueAsync(r, client, r.GetValue(name)!, ct);
            var messages = new List<MarconiMessage>();
            var most = r.GetValue(limit) ?? int.MaxValue;
            await foreach (var message in queue.GetMessagesAsync(r.GetValue(echo), r.GetValue(includeClaimed), ct: ct))
            {
                if (messages.Count == most)
                {
                    break;
                }

                messages.Add(message);
            }

            output.Messages(messages);
            return 0;
        }));

        var ids = new Argument<string[]>("message-id") { Description = "Message ids", Arity = ArgumentArity.OneOrMore };
        var get = new Command("get", "Print messages by id (one id: an object; several: an array)") { name, ids };
        get.SetAction(Run(async (r, client, output, ct) =>
        {
            var queue = client.Queue(r.GetValue(name)!);
            var wanted = r.GetValue(ids)!;
            if (wanted.Length == 1)
            {
                output.Message(await queue.GetMessageAsync(wanted[0], ct));
            }
            else
            {
                output.Messages(await queue.GetMessagesAsync(wanted, ct));
            }

            return 0;
        }));

        var claimId = new Option<string?>("--claim-id") { Description = "The claim holding the messages" };
        var delete = new Command("delete", "Delete messages by id") { name, ids, claimId };
        delete.SetAction(Run(async (r, client, output, ct) =>
        {
            var queue = await ExistingQueueAsync(r, client, r.GetValue(name)!, ct);
            var deleted = r.GetValue(ids)!;
            foreach (var id in deleted)
            {
                await queue.DeleteMessageAsync(id, r.GetValue(claimId), ct);
            }

            output.Object([("deleted", deleted)]);
            return 0;
        }));

        return new Command("message", "Messages: post, list, get, delete, pop, consume") { post, list, get, delete, pop, ConsumeCommand() };
    }

    /// <summary>
    /// <c>message consume</c>: the client's consumer on the command line. Without <c>--exec</c> each message is printed as a
    /// JSON line and deleted; with it, the command gets the body on stdin and the message is deleted only when it exits 0.
    /// </summary>
    private Command ConsumeCommand()
    {
        var name = QueueName();
        var exec = new Option<string?>("--exec")
        {
            HelpName = "CMD",
            Description = "Run CMD through /bin/sh -c for each message, with the body (JSON) on stdin and MARCONI_QUEUE, MARCONI_MESSAGE_ID, " +
                "MARCONI_CLAIM_ID in its environment; its output passes through. The message is deleted when CMD exits 0, else given back",
        };
        var max = new Option<int?>("--max") { HelpName = "N", Description = "Stop after N messages (handled or given back)" };
        var once = new Option<bool>("--once") { Description = "Stop when no message is free (drain the queue); --wait defaults to 0 then" };
        var wait = new Option<int?>("--wait") { HelpName = "SECONDS", Description = "Long-poll: seconds each claim waits on the server for a message (default 20, 0 with --once)" };
        var concurrency = new Option<int>("--concurrency") { HelpName = "N", Description = "Messages handled at once (with --exec, commands in parallel)", DefaultValueFactory = _ => 1 };
        var limit = new Option<int>("--limit") { HelpName = "N", Description = "Most messages one claim takes (1 to 20; no more than --concurrency are taken)", DefaultValueFactory = _ => 10 };
        var ttl = new Option<int>("--ttl") { Description = "Seconds each claim lasts (60 to 43200); renewed while a message is handled", DefaultValueFactory = _ => 60 };
        var grace = new Option<int>("--grace") { Description = "Extra seconds claimed messages live beyond the claim", DefaultValueFactory = _ => 60 };
        var expire = new Option<bool>("--expire-failed") { Description = "Leave a failed message's claim to expire (a delay before it comes back) instead of releasing it" };
        var consume = new Command("consume",
            "Consume messages until Ctrl-C or SIGTERM (what is held and unfinished is released): print each as one JSON line and delete it, " +
            "or with --exec run a command per message and delete it only when the command exits 0. " +
            "Exit code 0 (also when stopped by a signal), or 1 when a command failed or the server refused")
        {
            name, exec, max, once, wait, concurrency, limit, ttl, grace, expire,
        };
        consume.SetAction(Run(async (r, client, output, ct) =>
        {
            var most = r.GetValue(max);
            if (most is < 1 || r.GetValue(concurrency) < 1 || r.GetValue(limit) < 1 || r.GetValue(wait) is < 0)
            {
                throw new UsageException("--max, --concurrency and --limit must be at least 1, and --wait at least 0");
            }

            var queue = r.GetValue(once) ? await ExistingQueueAsync(r, client, r.GetValue(name)!, ct) : client.Queue(r.GetValue(name)!);
            var command = r.GetValue(exec);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var taken = 0;
            var settled = 0;
            var failed = 0;
            var print = new object();
            var options = new ConsumeOptions
            {
                MaxConcurrency = Math.Min(r.GetValue(concurrency), most ?? int.MaxValue),
                BatchSize = Math.Min(r.GetValue(limit), most ?? int.MaxValue),
                ClaimTtl = r.GetValue(ttl),
                ClaimGrace = r.GetValue(grace),
                Wait = r.GetValue(wait) ?? (r.GetValue(once) ? 0 : 20),
                StopWhenEmpty = r.GetValue(once),
                OnFailure = r.GetValue(expire) ? ConsumeFailure.Expire : ConsumeFailure.Release,
            };

            await queue.ConsumeAsync(async (message, held) =>
            {
                // Past --max, a message claimed alongside the last ones is given back untouched.
                if (Interlocked.Increment(ref taken) > (most ?? int.MaxValue))
                {
                    throw new OperationCanceledException();
                }

                try
                {
                    if (command is null)
                    {
                        lock (print)
                        {
                            output.Message(message);
                            _stdout.Flush();
                        }

                        return;
                    }

                    var code = await ExecAsync(command, message, queue.Name, print, held);
                    if (code != 0)
                    {
                        Interlocked.Increment(ref failed);
                        lock (print)
                        {
                            _stderr.WriteLine($"marconi: '{command}' exited {code} for message {message.Id}; it is given back");
                        }

                        throw new InvalidOperationException($"exit code {code}");
                    }
                }
                finally
                {
                    if (Interlocked.Increment(ref settled) >= (most ?? int.MaxValue))
                    {
                        await stop.CancelAsync();
                    }
                }
            }, options, stop.Token);
            return failed == 0 ? 0 : Failed;
        }));
        return consume;
    }

    /// <summary>Runs the command with the body on stdin; its output goes to ours, line by line. Killed (and counted failed) when <paramref name="ct"/> fires.</summary>
    private async Task<int> ExecAsync(string command, MarconiMessage message, string queue, object print, CancellationToken ct)
    {
        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["MARCONI_QUEUE"] = queue;
        start.Environment["MARCONI_MESSAGE_ID"] = message.Id;
        start.Environment["MARCONI_CLAIM_ID"] = message.ClaimId ?? "";
        using var process = System.Diagnostics.Process.Start(start)
            ?? throw new InvalidOperationException($"could not start /bin/sh for '{command}'");

        async Task Pump(TextReader from, TextWriter to)
        {
            while (await from.ReadLineAsync(CancellationToken.None) is { } line)
            {
                lock (print)
                {
                    to.WriteLine(line);
                    to.Flush();
                }
            }
        }

        var pumps = Task.WhenAll(Pump(process.StandardOutput, _stdout), Pump(process.StandardError, _stderr));
        try
        {
            try
            {
                await process.StandardInput.WriteAsync(message.Body.GetRawText().AsMemory(), ct);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The command did not read its stdin: its exit code still decides.
            }

            await process.WaitForExitAsync(ct);
            await pumps;
            return process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    private Command ClaimCommand()
    {
        var name = QueueName();
        var claimId = new Argument<string>("claim-id") { Description = "The claim id" };
        var ttl = new Option<int>("--ttl") { Description = "Seconds the claim lasts (60 to 43200)", DefaultValueFactory = _ => 60 };
        var grace = new Option<int>("--grace") { Description = "Extra seconds claimed messages live beyond the claim", DefaultValueFactory = _ => 60 };
        var limit = new Option<int?>("--limit") { Description = "Most messages to claim (server default 10)" };

        var create = new Command("create", "Claim free messages; prints the claim, or null when none is free") { name, limit, ttl, grace };
        create.SetAction(Run(async (r, client, output, ct) =>
        {
            var queue = client.Queue(r.GetValue(name)!);
            var claim = await queue.ClaimAsync(r.GetValue(limit), r.GetValue(ttl), r.GetValue(grace), ct);
            if (claim is not null)
            {
                output.Claim(claim);
                return 0;
            }

            await ExistingQueueAsync(r, client, queue.Name, ct);
            output.Json(w => w.WriteNullValue());
            return 0;
        }));

        var get = new Command("get", "Print a live claim and its messages") { name, claimId };
        get.SetAction(Run(async (r, client, output, ct) =>
        {
            output.Claim(await client.Queue(r.GetValue(name)!).GetClaimAsync(r.GetValue(claimId)!, ct));
            return 0;
        }));

        var renewGrace = new Option<int>("--grace") { Description = "Extra seconds for messages that would expire before the claim", DefaultValueFactory = _ => 0 };
        var update = new Command("update", "Renew a claim with a new TTL") { name, claimId, ttl, renewGrace };
        update.SetAction(Run(async (r, client, output, ct) =>
        {
            await client.Queue(r.GetValue(name)!).UpdateClaimAsync(r.GetValue(claimId)!, r.GetValue(ttl), r.GetValue(renewGrace), ct);
            output.Object([("id", r.GetValue(claimId)), ("ttl", r.GetValue(ttl)), ("updated", true)]);
            return 0;
        }));

        var release = new Command("release", "Release a claim: its messages are free at once") { name, claimId };
        release.SetAction(Run(async (r, client, output, ct) =>
        {
            var queue = await ExistingQueueAsync(r, client, r.GetValue(name)!, ct);
            await queue.ReleaseClaimAsync(r.GetValue(claimId)!, ct);
            output.Object([("id", r.GetValue(claimId)), ("released", true)]);
            return 0;
        }));

        return new Command("claim", "Claims: create, get, update, release") { create, get, update, release };
    }

    private Command SubscriptionCommand()
    {
        var name = QueueName();
        var subscriber = new Argument<string>("subscriber") { Description = "The URI notified: http(s)://…" };
        var id = new Argument<string>("subscription-id") { Description = "The subscription id" };
        var ttl = new Option<int?>("--ttl") { Description = "Seconds the subscription lives (at least 60; default 3600)" };
        var options = new Option<string?>("--options") { Description = """Options object as JSON, e.g. {"post_headers":{"X-Token":"t"}}""" };

        var create = new Command("create", "Subscribe a URI to the queue's messages (v2); prints the id") { name, subscriber, ttl, options };
        create.SetAction(Run(async (r, client, output, ct) =>
        {
            var given = r.GetValue(options) is { } json ? ReadJson(json, "options") : (JsonElement?)null;
            var created = await client.Queue(r.GetValue(name)!).SubscribeAsync(r.GetValue(subscriber)!, r.GetValue(ttl), given, ct);
            output.Object([("id", created)]);
            return 0;
        }));

        var list = new Command("list", "List the queue's subscriptions (v2)") { name };
        list.SetAction(Run(async (r, client, output, ct) =>
        {
            output.Subscriptions(await client.Queue(r.GetValue(name)!).GetSubscriptionsAsync(ct: ct).ToListAsync(ct));
            return 0;
        }));

        var get = new Command("get", "Print a subscription (v2)") { name, id };
        get.SetAction(Run(async (r, client, output, ct) =>
        {
            output.Subscription(await client.Queue(r.GetValue(name)!).GetSubscriptionAsync(r.GetValue(id)!, ct));
            return 0;
        }));

        var newSubscriber = new Option<string?>("--subscriber") { Description = "The new subscriber URI" };
        var update = new Command("update", "Change a subscription's subscriber, TTL or options (v2)") { name, id, newSubscriber, ttl, options };
        update.SetAction(Run(async (r, client, output, ct) =>
        {
            var given = r.GetValue(options) is { } json ? ReadJson(json, "options") : (JsonElement?)null;
            if (r.GetValue(newSubscriber) is null && r.GetValue(ttl) is null && given is null)
            {
                throw new UsageException("give --subscriber, --ttl or --options to change");
            }

            var queue = client.Queue(r.GetValue(name)!);
            await queue.UpdateSubscriptionAsync(r.GetValue(id)!, r.GetValue(newSubscriber), r.GetValue(ttl), given, ct);
            output.Subscription(await queue.GetSubscriptionAsync(r.GetValue(id)!, ct));
            return 0;
        }));

        var unconfirm = new Option<bool>("--unconfirm") { Description = "Mark the subscription unconfirmed instead" };
        var confirm = new Command("confirm", "Confirm a subscription, so it is notified when confirmation is required (v2)") { name, id, unconfirm };
        confirm.SetAction(Run(async (r, client, output, ct) =>
        {
            var queue = client.Queue(r.GetValue(name)!);
            await queue.ConfirmSubscriptionAsync(r.GetValue(id)!, !r.GetValue(unconfirm), ct);
            output.Subscription(await queue.GetSubscriptionAsync(r.GetValue(id)!, ct));
            return 0;
        }));

        var delete = new Command("delete", "Delete a subscription (v2)") { name, id };
        delete.SetAction(Run(async (r, client, output, ct) =>
        {
            await client.Queue(r.GetValue(name)!).DeleteSubscriptionAsync(r.GetValue(id)!, ct);
            output.Object([("id", r.GetValue(id)), ("deleted", true)]);
            return 0;
        }));

        return new Command("subscription", "Subscriptions (v2): create, list, get, update, confirm, delete")
        {
            create, list, get, update, confirm, delete,
        };
    }

    private Command HealthCommand()
    {
        var health = new Command("health", "Check that the server and its storage answer (exit code 1 when not)");
        health.SetAction(Run(async (r, client, output, ct) =>
        {
            var healthy = await client.IsHealthyAsync(ct);
            output.Object([("healthy", healthy)]);
            if (!healthy)
            {
                _stderr.WriteLine("marconi: the server answers but its storage does not");
            }

            return healthy ? 0 : Failed;
        }));
        return health;
    }

    private Command KeyCommand()
    {
        var db = new Option<string?>("--db")
        {
            Description = "Work on this SQLite store file itself, with no server (running or not; --url and --token are not used). " +
                "A file that does not exist is created as a new store, as on a fresh install before the first start (its folder must exist)",
            Recursive = true,
        };
        var postgres = new Option<string?>("--postgres")
        {
            Description = "Work on this PostgreSQL database itself (an Npgsql connection string, as Marconi:Storage:Postgres:ConnectionString), " +
                "with no server; its schema is created and migrated when missing, as a host's start does. Not with --db",
            Recursive = true,
        };
        var schema = new Option<string?>("--schema")
        {
            Description = "With --postgres: the schema of Marconi's tables (Marconi:Storage:Postgres:Schema; default marconi)",
            Recursive = true,
        };
        var store = new Store(db, postgres, schema);
        var id = new Argument<string>("id") { Description = "The key id (16 hex digits, the part after mk_ in its token)" };

        var name = new Option<string>("--name") { Description = "What the key is for (shown in listings and in refusals' log lines)", Required = true };
        var admin = new Option<bool>("--admin") { Description = "An admin key: every project, and key management (instead of --project)" };
        var role = new Option<string>("--role")
        {
            Description = "What the key may do: full, produce (create queues, post) or consume (read, claim, delete, release)",
            DefaultValueFactory = _ => "full",
        };
        role.AcceptOnlyFromAmong("full", "produce", "consume");
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "When the key stops working, ISO 8601 (e.g. 2030-01-01T00:00:00Z); default never" };
        var create = new Command("create",
            "Make a key: --admin, or --project P for a key of project P only. Prints its secret alone on stdout (shown only this once); the id goes to stderr")
        {
            name, admin, role, expires,
        };
        // Checked while parsing, so a bad invocation never opens (or creates) a --db file.
        create.Validators.Add(command =>
        {
            if (command.GetValue(admin) == (command.GetResult(_project) is { Implicit: false }))
            {
                command.AddError("key create needs either --admin or --project P (the key's project), not both");
            }
        });
        create.SetAction(RunKeys(store, async (r, keys, output, ct) =>
        {
            var project = ExplicitProject(r);
            var keyRole = r.GetValue(role) switch { "produce" => MarconiKeyRole.Produce, "consume" => MarconiKeyRole.Consume, _ => MarconiKeyRole.Full };
            var issued = await keys.CreateAsync(r.GetValue(name)!, project, keyRole, r.GetValue(expires), ct);
            _stderr.WriteLine($"marconi: created key {issued.Key.Id} ({Scope(issued.Key)}, {r.GetValue(role)}); its secret is shown only this once");
            _stdout.WriteLine(issued.Secret);
            return 0;
        }));

        var list = new Command("list", "List the keys, revoked and expired ones included (never a secret); --project P lists that project's only");
        list.SetAction(RunKeys(store, async (r, keys, output, ct) =>
        {
            output.Keys(await keys.ListAsync(ExplicitProject(r), ct));
            return 0;
        }));

        var get = new Command("get", "Print one key (never its secret)") { id };
        get.SetAction(RunKeys(store, async (r, keys, output, ct) =>
        {
            output.Key(await keys.GetAsync(r.GetValue(id)!, ct));
            return 0;
        }));

        var revoke = new Command("revoke", "Revoke a key: it stops working at once, or within Marconi:Auth:KeyCacheSeconds on a server when revoked elsewhere (--db, --postgres, another host)") { id };
        revoke.SetAction(RunKeys(store, async (r, keys, output, ct) =>
        {
            await keys.RevokeAsync(r.GetValue(id)!, ct);
            output.Object([("id", r.GetValue(id)), ("revoked", true)]);
            return 0;
        }));

        var rotate = new Command("rotate", "Give a key a new secret, printed alone on stdout; the old one stops working") { id };
        rotate.SetAction(RunKeys(store, async (r, keys, output, ct) =>
        {
            var issued = await keys.RotateAsync(r.GetValue(id)!, ct);
            _stderr.WriteLine($"marconi: rotated key {issued.Key.Id}; its new secret is shown only this once");
            _stdout.WriteLine(issued.Secret);
            return 0;
        }));

        var key = new Command("key",
            "API keys of a server with Marconi:Auth:Mode=keys: create, list, get, revoke, rotate. Over the API with an admin key (--token), " +
            "or on the store itself with --db FILE or --postgres CONNECTION (no server needed: how the first admin key is made)")
        {
            create, list, get, revoke, rotate,
        };
        key.Options.Add(db);
        key.Options.Add(postgres);
        key.Options.Add(schema);
        foreach (var verb in key.Subcommands)
        {
            // Checked while parsing, so a bad invocation opens no store.
            verb.Validators.Add(command =>
            {
                if (command.GetResult(db) is not null && command.GetResult(postgres) is not null)
                {
                    command.AddError("--db and --postgres name two stores: give one");
                }
                else if (command.GetResult(schema) is not null && command.GetResult(postgres) is null)
                {
                    command.AddError("--schema goes with --postgres only");
                }
                else if (command.GetResult(schema) is not null && !PostgresStorageOptions.IsPlainIdentifier(command.GetValue(schema)))
                {
                    command.AddError("--schema must be a plain lower-case identifier (letters, digits, _; at most 63)");
                }
            });
        }

        return key;
    }

    /// <summary>
    /// <c>--project</c> as given on the command line: under <c>key</c> it names a key's project, so
    /// <c>$MARCONI_PROJECT</c>, meant for the queue verbs, must not silently scope a key.
    /// </summary>
    private string? ExplicitProject(ParseResult result) =>
        result.GetResult(_project) is { Implicit: false } ? result.GetValue(_project) : null;

    private static string Scope(MarconiApiKey key) => key.Project is { } project ? $"project {project}" : "admin";

    /// <summary>The <c>key</c> verbs' options naming a store to work on directly.</summary>
    private sealed record Store(Option<string?> Db, Option<string?> Postgres, Option<string?> Schema);

    /// <summary>Wraps a <c>key</c> verb: on the store with <c>--db</c> or <c>--postgres</c>, else over the API as any verb.</summary>
    private Func<ParseResult, CancellationToken, Task<int>> RunKeys(
        Store store, Func<ParseResult, IKeyManagement, CliOutput, CancellationToken, Task<int>> verb)
    {
        var overApi = Run((r, client, output, ct) => verb(r, new ApiKeyManagement(client), output, ct), keyVerb: true);
        return async (result, cancellationToken) =>
        {
            var path = result.GetValue(store.Db);
            var connectionString = result.GetValue(store.Postgres);
            if (path is null && connectionString is null)
            {
                return await overApi(result, cancellationToken);
            }

            try
            {
                await using var keys = path is not null
                    ? await StoreKeyManagement.OpenAsync(path)
                    : await StoreKeyManagement.OpenPostgresAsync(connectionString!, result.GetValue(store.Schema) ?? "marconi");
                return await verb(result, keys, new CliOutput(_stdout, result.GetValue(_output) == "table", "/v2"), cancellationToken);
            }
            catch (UsageException exception)
            {
                return Fail(Usage, exception.Message);
            }
            catch (StoreUnavailableException exception)
            {
                return Fail(Failed, exception.Message);
            }
            catch (MarconiException exception)
            {
                return Fail(Failed, exception.Description.Length > 0 ? $"{exception.Title}: {exception.Description}" : exception.Title);
            }
        };
    }

    private static Argument<string> QueueName() => new("queue") { Description = "The queue name" };

    /// <summary>Wraps a verb: builds the client from the global options and turns every failure into one stderr line.</summary>
    /// <param name="verb">The verb's work.</param>
    /// <param name="keyVerb">
    /// A <c>key</c> verb: it acts on no project (so none is sent, and none is needed), and it needs a key to ask with.
    /// </param>
    private Func<ParseResult, CancellationToken, Task<int>> Run(
        Func<ParseResult, MarconiClient, CliOutput, CancellationToken, Task<int>> verb, bool keyVerb = false) => async (result, cancellationToken) =>
    {
        var url = result.GetValue(_url)!;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https" or "tcp" or "ipc"))
        {
            return Fail(Usage, $"--url '{url}' is not an http://, https://, tcp:// or ipc:// URL");
        }

        var api = result.GetValue(_api) == "v1" ? MarconiApi.V1 : MarconiApi.V2;
        var token = result.GetValue(_token);
        var project = keyVerb ? null : result.GetValue(_project);
        if (keyVerb && token is null)
        {
            return Fail(Usage, "key verbs need an admin key: pass --token (or set $MARCONI_TOKEN), or --db PATH or --postgres CONNECTION to work on the store itself");
        }

        SignedUrlGrant? grant = null;
        if (result.GetValue(_grant) is { } grantJson)
        {
            try
            {
                grant = JsonSerializer.Deserialize<SignedUrlGrant>(grantJson, GrantJson)
                    ?? throw new JsonException();
                project ??= grant.Project;
            }
            catch (Exception exception) when (exception is JsonException or NotSupportedException)
            {
                return Fail(Usage, "--grant is not the JSON that 'queue share' prints");
            }

            if (api != MarconiApi.V2 || endpoint.Scheme is not ("http" or "https"))
            {
                return Fail(Usage, "--grant works with --api v2 over http:// or https:// only");
            }

            if (project != grant.Project)
            {
                return Fail(Usage, $"--grant is for project '{grant.Project}', not '{project}'");
            }
        }

        // A key stands in for the project: the server takes a project key's own (and refuses an admin key without one).
        if (api == MarconiApi.V2 && string.IsNullOrEmpty(project) && token is null)
        {
            return Fail(Usage, "v2 needs a project: pass --project (or set $MARCONI_PROJECT) or a project key with --token, or --api v1 for the default namespace");
        }

        try
        {
            await using var client = new MarconiClient(new MarconiClientOptions
            {
                Endpoint = endpoint,
                Api = api,
                ProjectId = project,
                Grant = grant,
                ClientId = result.GetValue(_clientId),
                AuthToken = token,
                MaxRetries = 2,
                Timeout = TimeSpan.FromSeconds(10),
            });
            return await verb(result, client, new CliOutput(_stdout, result.GetValue(_output) == "table", Root(client)), cancellationToken);
        }
        catch (UsageException exception)
        {
            return Fail(Usage, exception.Message);
        }
        catch (NotSupportedException exception)
        {
            // A v2 verb under --api v1: the invocation is wrong, not the server.
            return Fail(Usage, exception.Message);
        }
        catch (MarconiException exception)
        {
            return Fail(Failed, exception.Description.Length > 0 ? $"{exception.Title}: {exception.Description}" : exception.Title);
        }
    };

    private static readonly JsonSerializerOptions GrantJson = new(JsonSerializerDefaults.Web);

    private static string Root(MarconiClient client) => client.Api == MarconiApi.V1 ? "/v1" : "/v2";

    /// <summary>A JSON patch array as client operations; only <c>/metadata/{key}</c> paths exist.</summary>
    private static List<MetadataPatchOperation> PatchOperations(JsonElement patch)
    {
        if (patch.ValueKind != JsonValueKind.Array)
        {
            throw new UsageException("the JSON patch must be an array of operations");
        }

        var operations = new List<MetadataPatchOperation>();
        foreach (var item in patch.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("op", out var op) || op.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("path", out var path) || path.ValueKind != JsonValueKind.String
                || path.GetString() is not { } text || !text.StartsWith("/metadata/", StringComparison.Ordinal))
            {
                throw new UsageException("each JSON patch operation needs an \"op\" and a \"path\" of the form /metadata/{key}");
            }

            var key = text["/metadata/".Length..].Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            var value = item.TryGetProperty("value", out var v) ? v.Clone() : (JsonElement?)null;
            operations.Add(op.GetString() switch
            {
                "add" => MetadataPatchOperation.Add(key, value),
                "replace" => MetadataPatchOperation.Replace(key, value),
                "remove" => MetadataPatchOperation.Remove(key),
                var other => throw new UsageException($"unknown JSON patch op '{other}' (add, replace or remove)"),
            });
        }

        return operations;
    }

    private int Fail(int code, string message)
    {
        _stderr.WriteLine("marconi: " + message.ReplaceLineEndings(" "));
        return code;
    }

    /// <summary>A JSON value from the argument, or from stdin when the argument is absent.</summary>
    private JsonElement ReadJson(string? argument, string what)
    {
        var text = argument ?? _stdin.ReadToEnd();
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new UsageException($"the {what} is not valid JSON");
        }
    }

    /// <summary>
    /// The queue, after checking it exists: v1 answers 204 for some operations on a missing queue (and
    /// v2 treats queues as lazy), but a script asking for one wants to hear that it is not there.
    /// A grant covers only its queue's sub-resources, not the listing that v2's check needs: a grant holder is trusted.
    /// </summary>
    private async Task<MarconiQueue> ExistingQueueAsync(ParseResult result, MarconiClient client, string name, CancellationToken cancellationToken)
    {
        var queue = client.Queue(name);
        return result.GetValue(_grant) is not null || await queue.ExistsAsync(cancellationToken)
            ? queue
            : throw new QueueNotFoundException(404, "Not found", $"queue {name} does not exist");
    }

    private sealed class UsageException(string message) : Exception(message);
}
