using System.CommandLine;
using System.Text.Json;
using Marconi.Client;

namespace Marconi.Host.Cli;

/// <summary>
/// The client verbs of the <c>marconi</c> binary (<c>queue</c>, <c>message</c>, <c>claim</c>,
/// <c>health</c>), built on <see cref="MarconiClient"/>. Results go to stdout as JSON (or a table);
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
        Description = "Project id (X-Project-Id); default: $MARCONI_PROJECT, else the default namespace",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MARCONI_PROJECT") is { Length: > 0 } p ? p : null,
    };

    private readonly Option<Guid?> _clientId = new("--client-id")
    {
        Description = "Client-ID (a UUID); generated when absent",
        Recursive = true,
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
    }

    private static readonly string[] Verbs = ["queue", "message", "claim", "health"];
    private static readonly string[] HelpTokens = ["--help", "-h", "-?", "--version"];

    /// <summary>
    /// True when the arguments ask for a client verb or for help rather than for the server. Global
    /// options may come before the verb (<c>marconi --project p queue list</c>); after <c>serve</c>
    /// everything but help is a server setting.
    /// </summary>
    public static bool IsClientInvocation(string[] args)
    {
        if (args.Any(HelpTokens.Contains))
        {
            return true;
        }

        return args is not ["serve", ..] && args.Any(Verbs.Contains);
    }

    public Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Marconi: a queuing service. With no verb (or 'serve') it runs the server; the other verbs are a client.")
        {
            ServeCommand(), QueueCommand(), MessageCommand(), ClaimCommand(), HealthCommand(),
        };
        root.Options.Add(_url);
        root.Options.Add(_project);
        root.Options.Add(_clientId);
        root.Options.Add(_output);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // A bad invocation: one line, exit code 2 (help is one --help away).
            return Task.FromResult(Fail(Usage, $"{parsed.Errors[0].Message} (see --help)"));
        }

        return parsed.InvokeAsync(new InvocationConfiguration { Output = _stdout, Error = _stderr });
    }

    private static Command ServeCommand()
    {
        var serve = new Command("serve", "Run the server (the default with no verb); settings as --Section:Key=value")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction(_ => 0); // the entry point routes 'serve' to the server before this tree is built
        return serve;
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
            output.Object([("name", queue.Name), ("href", $"/v1/queues/{queue.Name}")]);
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

        return new Command("queue", "Queues: list, create, delete, exists, stats, metadata")
        {
            list, create, delete, exists, stats, new Command("metadata", "Queue metadata: get, set") { metadataGet, metadataSet },
        };
    }

    private Command MessageCommand()
    {
        var name = QueueName();
        var body = new Argument<string?>("body") { Description = "The message body as JSON (read from stdin when absent)", Arity = ArgumentArity.ZeroOrOne };
        var ttl = new Option<int>("--ttl") { Description = "Seconds the message lives (60 to 1209600)", DefaultValueFactory = _ => 3600 };
        var post = new Command("post", "Post one message") { name, body, ttl };
        post.SetAction(Run(async (r, client, output, ct) =>
        {
            var queue = client.Queue(r.GetValue(name)!);
            var id = await queue.PostAsync(ReadJson(r.GetValue(body), "message body"), r.GetValue(ttl), ct: ct);
            output.Object([("id", id), ("href", $"/v1/queues/{queue.Name}/messages/{id}")]);
            return 0;
        }));

        var echo = new Option<bool>("--echo") { Description = "Include messages this client id posted" };
        var includeClaimed = new Option<bool>("--include-claimed") { Description = "Include claimed messages" };
        var limit = new Option<int?>("--limit") { Description = "List at most this many messages (default: all)" };
        var list = new Command("list", "List messages in FIFO order (every page)") { name, echo, includeClaimed, limit };
        list.SetAction(Run(async (r, client, output, ct) =>
        {
            var queue = await ExistingQueueAsync(client, r.GetValue(name)!, ct);
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
            var queue = await ExistingQueueAsync(client, r.GetValue(name)!, ct);
            var deleted = r.GetValue(ids)!;
            foreach (var id in deleted)
            {
                await queue.DeleteMessageAsync(id, r.GetValue(claimId), ct);
            }

            output.Object([("deleted", deleted)]);
            return 0;
        }));

        return new Command("message", "Messages: post, list, get, delete") { post, list, get, delete };
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

            await ExistingQueueAsync(client, queue.Name, ct);
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
            var queue = await ExistingQueueAsync(client, r.GetValue(name)!, ct);
            await queue.ReleaseClaimAsync(r.GetValue(claimId)!, ct);
            output.Object([("id", r.GetValue(claimId)), ("released", true)]);
            return 0;
        }));

        return new Command("claim", "Claims: create, get, update, release") { create, get, update, release };
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

    private static Argument<string> QueueName() => new("queue") { Description = "The queue name" };

    /// <summary>Wraps a verb: builds the client from the global options and turns every failure into one stderr line.</summary>
    private Func<ParseResult, CancellationToken, Task<int>> Run(
        Func<ParseResult, MarconiClient, CliOutput, CancellationToken, Task<int>> verb) => async (result, cancellationToken) =>
    {
        var url = result.GetValue(_url)!;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https" or "tcp" or "ipc"))
        {
            return Fail(Usage, $"--url '{url}' is not an http://, https://, tcp:// or ipc:// URL");
        }

        try
        {
            await using var client = new MarconiClient(new MarconiClientOptions
            {
                Endpoint = endpoint,
                ProjectId = result.GetValue(_project),
                ClientId = result.GetValue(_clientId),
                MaxRetries = 2,
                Timeout = TimeSpan.FromSeconds(10),
            });
            return await verb(result, client, new CliOutput(_stdout, result.GetValue(_output) == "table"), cancellationToken);
        }
        catch (UsageException exception)
        {
            return Fail(Usage, exception.Message);
        }
        catch (MarconiException exception)
        {
            return Fail(Failed, exception.Description.Length > 0 ? $"{exception.Title}: {exception.Description}" : exception.Title);
        }
    };

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
    /// The queue, after checking it exists: v1 answers 204 for some operations on a missing queue,
    /// but a script asking for one wants to hear that it is not there.
    /// </summary>
    private static async Task<MarconiQueue> ExistingQueueAsync(MarconiClient client, string name, CancellationToken cancellationToken)
    {
        var queue = client.Queue(name);
        return await queue.ExistsAsync(cancellationToken)
            ? queue
            : throw new QueueNotFoundException(404, "Not found", $"queue {name} does not exist");
    }

    private sealed class UsageException(string message) : Exception(message);
}
