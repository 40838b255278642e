using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Protection;

/// <summary>
/// Property, at the HTTP boundary, over every endpoint: whatever a client sends (random JSON shapes, wrong
/// types, extreme numbers, lone surrogates, NUL, invalid UTF-8, deep nesting, long strings, duplicate keys,
/// odd headers and query strings), the service never answers 5xx, answers every 4xx with an error.list,
/// stores nothing for a request it refused, and still serves a valid request correctly afterwards.
/// </summary>
public sealed class when_fuzzing_every_endpoint_with_hostile_input(FuzzedService api) : IClassFixture<FuzzedService>
{
    private const int Requests = 4000;

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task never_fails_with_5xx_answers_4xx_as_error_list_and_stores_nothing_refused()
    {
        var client = api.Host.Server.CreateClient();
        var stored = await api.CountIn(FuzzedService.Workspace);
        var (succeeded, refused) = (0, 0);

        await Fuzz.Request.SampleAsync(async request =>
        {
            var (status, body) = await SendAsync(client, request, TestContext.Current.CancellationToken);
            var code = (int)status;
            code.ShouldBeLessThan(500, $"{request}\n=> {code} {body}");
            _ = code < 300 ? Interlocked.Increment(ref succeeded) : Interlocked.Increment(ref refused);
            if (code >= 400)
            {
                ShouldBeErrorList(body, $"{request}\n=> {code} {body}");
            }

            if (request.Method != HttpMethod.Get)
            {
                var now = await api.CountIn(FuzzedService.Workspace);
                if (code >= 400)
                {
                    now.ShouldBe(stored, $"a refused request stored events: {request}\n=> {code} {body}");
                }

                stored = now;
            }
        }, iter: Requests, threads: 1, print: r => r.ToString());

        succeeded.ShouldBeGreaterThan(Requests / 50, "the generator must also reach the rules behind validation");
        refused.ShouldBeGreaterThan(Requests / 2, "most generated requests are hostile");
        (await api.CountIn(FuzzedService.Workspace)).ShouldBeGreaterThan(0, "some fuzzed events were valid and stored");

        var valid = await api.Host.Send(HttpMethod.Post, "/events",
            $$$"""{"event_name":"after-the-storm","created_at":{{{Scenarios.Now}}},"user_id":"survivor","metadata":{"ok":"yes"}}""", FuzzedService.Token);
        valid.Status.ShouldBe(HttpStatusCode.Accepted, valid.Body);
        var read = await api.Host.Get("/events?type=user&user_id=survivor", FuzzedService.Token);
        read.Status.ShouldBe(HttpStatusCode.OK, read.Body);
        read.Json["events"]!.AsArray().Select(e => e!["event_name"]!.GetValue<string>()).ShouldBe(["after-the-storm"], "the service must still store and serve a valid event");
    }

    /// <summary>Intercom's error.list, every field present with its type: a missing field fails, as a client reading it would.</summary>
    private static void ShouldBeErrorList(string body, string context)
    {
        JsonNode? json = null;
        Should.NotThrow(() => json = JsonNode.Parse(body), $"the 4xx body is not JSON: {context}");
        var list = json.ShouldBeOfType<JsonObject>(context);
        StringIn(list, "type", context).ShouldBe("error.list", context);
        Guid.TryParse(StringIn(list, "request_id", context), out _).ShouldBeTrue($"request_id must be a UUID: {context}");
        var errors = list["errors"].ShouldBeOfType<JsonArray>(context);
        errors.ShouldNotBeEmpty(context);
        foreach (var error in errors)
        {
            var entry = error.ShouldBeOfType<JsonObject>(context);
            StringIn(entry, "code", context).ShouldNotBeNullOrWhiteSpace(context);
            StringIn(entry, "message", context).ShouldNotBeNullOrWhiteSpace(context);
        }
    }

    /// <summary>A string member that must be there.</summary>
    private static string StringIn(JsonObject json, string name, string context)
    {
        json.ContainsKey(name).ShouldBeTrue($"{name} is missing: {context}");
        var value = json[name].ShouldBeAssignableTo<JsonValue>($"{name} must be a string: {context}")!;
        value.TryGetValue<string>(out var text).ShouldBeTrue($"{name} must be a string: {context}");
        return text!;
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, FuzzRequest fuzz, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(fuzz.Method, fuzz.Url);
        if (fuzz.Body is not null)
        {
            request.Content = new ByteArrayContent(fuzz.Body);
            request.Content.Headers.ContentType = null;
            if (fuzz.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", fuzz.ContentType);
            }
        }

        foreach (var (name, value) in fuzz.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request, cancellation);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellation));
    }
}

/// <summary>One generated request, printed readably when a property fails.</summary>
public sealed record FuzzRequest(HttpMethod Method, string Url, byte[]? Body, string? ContentType, IReadOnlyList<(string Name, string Value)> Headers)
{
    public override string ToString()
    {
        var body = Body is null ? "(no body)" : Body.Length > 600
            ? $"{Body.Length} bytes: {Escape(Body[..300])}..."
            : Escape(Body);
        var headers = string.Join("; ", Headers.Select(h => $"{h.Name}: {(h.Value.Length > 80 ? h.Value[..80] + "..." : h.Value)}"));
        return $"{Method} {(Url.Length > 300 ? Url[..300] + "..." : Url)} [Content-Type: {ContentType}; {headers}] {body}";
    }

    private static string Escape(byte[] bytes) =>
        string.Concat(bytes.Select(b => b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:x2}"));
}

/// <summary>The generators: discrete choices are CsCheck generators (they shrink); JSON trees grow from a generated seed.</summary>
internal static class Fuzz
{
    private static readonly string[] Names =
    [
        // No %00: Kestrel (and TestServer's client) refuse a NUL in the path before the service sees it.
        "placed-order", "Placed.Order", "", "%01", "a%1Fb", "%ff%fe", "%ed%a0%80", "%c3%28", "a%2Fb", "..", "%20", "%F0%9F%98%80",
        "%E2%80%AE", "%E2%80%8F", new string('x', 300), new string('y', 256), "a.b$c", "%25", "null", "-", "%E2%80%8B",
    ];

    private static readonly (HttpMethod Method, string Path)[] Endpoints =
    [
        (HttpMethod.Post, "/events"), (HttpMethod.Post, "/events"), (HttpMethod.Post, "/events"),
        (HttpMethod.Post, "/events/summaries"), (HttpMethod.Post, "/events/summaries"),
        (HttpMethod.Post, "/events/bulk"), (HttpMethod.Post, "/events/bulk"),
        (HttpMethod.Get, "/events"), (HttpMethod.Get, "/events"),
        (HttpMethod.Get, "/segments"), (HttpMethod.Get, "/segments/{name}"), (HttpMethod.Get, "/segments/{name}/users"),
        (HttpMethod.Post, "/segments/search"), (HttpMethod.Post, "/segments/search"),
        (HttpMethod.Get, "/event-names"), (HttpMethod.Put, "/event-names/{name}"),
        (HttpMethod.Post, "/event-names/{name}/archive"), (HttpMethod.Post, "/event-names/{name}/unarchive"),
        (HttpMethod.Delete, "/events"), (HttpMethod.Patch, "/segments"),
        (HttpMethod.Post, Messenger), (HttpMethod.Post, Messenger), (HttpMethod.Options, Messenger),
    ];

    /// <summary>The browser endpoint of the fuzz workspace, which allows <see cref="FuzzedService.PageOrigin"/> and unverified users.</summary>
    private const string Messenger = "/messenger/fuzz/events";

    private static readonly string?[] Origins =
    [
        FuzzedService.PageOrigin, FuzzedService.PageOrigin, FuzzedService.PageOrigin, FuzzedService.PageOrigin, null, "null",
        "https://evil.test", "https://app.fuzz.test.evil.test", "https://*.fuzz.test", "garbage;;;", "https://app.fuzz.test/path", "\u00e9",
    ];

    private static readonly string[] ParameterNames =
    [
        "type", "type", "user_id", "user_id", "email", "intercom_user_id", "per_page", "summary", "before", "since",
        "starting_after", "include_archived", "count_gt", "count_ne", "first_after", "last_less_than_days_ago", "zzz", "%00", "%ed%a0%80",
    ];

    private static readonly string[] ParameterValues =
    [
        "user", "user", "u1", "-1", "0", "101", "100", "1e308", "18446744073709551616", "-0", "1.5", "%20%31", "%00", "a%00b",
        "%ed%a0%80", "%ff", "true", "TRUE", "", "%F0%9F%98%80", "%E2%80%AE", new string('q', 2000), "AAAA", "x@example.org",
        "99999999999", "-9223372036854775808", "9223372036854775807", "100000",
    ];

    private static readonly string?[] ContentTypes =
    [
        "application/json", "application/json", "application/json", "application/json; charset=utf-8", "application/json; charset=latin1",
        "application/json; charset=\"utf-8\"", "application/vnd.api+json", "text/plain", "application/x-www-form-urlencoded",
        "garbage;;;===", "application/json; charset=utf-8; boundary=x; q=0.1", "*/*", null, "application/json; charset=" + new string('8', 3000),
    ];

    private static readonly string?[] Versions =
    [
        "2.14", "2.14", "2.14", null, "Unstable", "1.4", "9.9", "", " ", "2." + new string('1', 10_000), "2.14, 2.13", "\u00e9", "2.14\u0000",
    ];

    private static readonly string?[] Tokens =
    [
        FuzzedService.Token, FuzzedService.Token, FuzzedService.Token, FuzzedService.Token, FuzzedService.Token, FuzzedService.Token,
        FuzzedService.Token, FuzzedService.Token, null, "Bearer nope", "Basic " + FuzzedService.Token, "Bearer " + new string('t', 5000),
    ];

    private static readonly string?[] IdempotencyKeys =
    [
        null, null, null, null, null, "key-1", "key-2", "key-3", "", new string('k', 256), "tab\there", "ключ",
    ];

    public static readonly Gen<FuzzRequest> Request =
        Gen.Select(Gen.Int[0, Endpoints.Length - 1], Gen.Int[0, Names.Length - 1], Gen.Int[0, ParameterNames.Length - 1].Array[0, 6],
                Gen.Int[0, ParameterValues.Length - 1].Array[6], Gen.Int[0, ContentTypes.Length - 1], Gen.Int[0, Versions.Length - 1],
                Gen.Int[0, Tokens.Length - 1])
            .Select(Gen.Int[0, IdempotencyKeys.Length - 1], Gen.Int[0, WellFormed], Gen.Int,
                (a, key, bodyKind, seed) => Build(a.Item1, a.Item2, a.Item3, a.Item4, a.Item5, a.Item6, a.Item7, key, bodyKind, seed));

    /// <summary>
    /// The body kind of a well-formed request (valid token, version, content type and body, no stray parameters):
    /// one in fourteen, so that every run also stores events (a run of only hostile requests reached storage by
    /// chance, about two times in 4,000, and sometimes not at all).
    /// </summary>
    private const int WellFormed = 13;

    private static FuzzRequest Build(int endpoint, int name, int[] parameters, int[] values, int contentType, int version, int token, int key, int bodyKind, int seed)
    {
        var random = new Random(seed);
        var (method, template) = Endpoints[endpoint];
        var path = template.Replace("{name}", Names[name], StringComparison.Ordinal);
        var query = new List<string>();
        if (method == HttpMethod.Get && template == "/events" && random.Next(3) > 0)
        {
            query.Add("type=user");
            query.Add($"user_id=u{random.Next(5)}");
        }

        if (bodyKind == WellFormed)
        {
            return new FuzzRequest(method, query.Count == 0 ? path : $"{path}?{string.Join('&', query)}",
                method == HttpMethod.Get || method == HttpMethod.Delete ? null : Utf8(Json.Valid(random, template)), "application/json",
                template == Messenger
                    ? [("Origin", FuzzedService.PageOrigin)]
                    : [("Authorization", $"Bearer {FuzzedService.Token}"), ("Intercom-Version", "2.14")]);
        }

        for (var i = 0; i < parameters.Length; i++)
        {
            query.Add($"{ParameterNames[parameters[i]]}={ParameterValues[values[i]]}");
        }

        var url = query.Count == 0 ? path : $"{path}?{string.Join('&', query)}";
        var headers = new List<(string, string)>();
        if (Tokens[token] is { } t)
        {
            headers.Add(("Authorization", t.StartsWith("Bearer ", StringComparison.Ordinal) || t.StartsWith("Basic ", StringComparison.Ordinal) ? t : $"Bearer {t}"));
        }

        if (Versions[version] is { } v)
        {
            headers.Add(("Intercom-Version", v));
        }

        if (IdempotencyKeys[key] is { } k && method == HttpMethod.Post)
        {
            headers.Add(("Idempotency-Key", k));
        }

        if (template == Messenger && Origins[random.Next(Origins.Length)] is { } origin)
        {
            headers.Add(("Origin", origin));
        }

        var body = method == HttpMethod.Get || method == HttpMethod.Delete || method == HttpMethod.Options ? null : Body(random, bodyKind, template);
        return new FuzzRequest(method, url, body, ContentTypes[contentType], headers);
    }

    private static byte[] Body(Random random, int kind, string template) => kind switch
    {
        0 => [],
        1 => Utf8(Json.Value(random, 0)),
        2 or 3 or 4 or 5 => Utf8(Json.Mutated(random, template)),
        6 => Utf8(Json.Object(random, 0, duplicateKeys: true)),
        7 => InvalidUtf8(random, Json.Mutated(random, template)),
        8 => Utf8(new string('[', random.Next(20, 3000)) + new string(']', random.Next(0, 3000))),
        9 => Utf8(Json.Nested(random, random.Next(25, 40))),
        10 => Utf8($$"""{"event_name":"long","created_at":1700000000,"user_id":"{{new string('x', random.Next(200, 1_100_000))}}"}"""),
        11 => [.. Enumerable.Range(0, random.Next(1, 200)).Select(_ => (byte)random.Next(256))],
        _ => Truncated(random, Json.Mutated(random, template)),
    };

    private static byte[] Truncated(Random random, string json) => Utf8(json[..random.Next(1, json.Length)]);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] InvalidUtf8(Random random, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json).ToList();
        byte[][] bad = [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x82], [0xc0, 0xaf], [0x00]];
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            // Prefer the inside of a string value, where a lenient reader would let bad bytes through.
            var quote = bytes.IndexOf((byte)'"', random.Next(bytes.Count));
            bytes.InsertRange(quote >= 0 ? quote + 1 : random.Next(bytes.Count + 1), bad[random.Next(bad.Length)]);
        }

        return [.. bytes];
    }

    /// <summary>JSON text with the edge cases a hand-written parser is likely to miss.</summary>
    private static class Json
    {
        private static readonly string[] Numbers =
        [
            "1e308", "-0", "1e-320", "18446744073709551616", "-9223372036854775809", "9223372036854775807", "1700000000", "0", "-1",
            "1.5", "1e400", "-1e400", "99999999999", "0.0000001", "123456789012345678901234567890", "1E3", "1700000000.0", "2", "100", "101",
        ];

        private static readonly string[] Strings =
        [
            "\\ud800", "\\udc00x", "\\u0000", "a\\u0000b", "\u200f", "\u202eevil", "😀", "𝒳", "\\ud83d\\ude00", "", " ", "x@example.org",
            "https://example.org/x", "javascript:alert(1)", "placed-order", "Placed.Order", "eur", "2.14", "1700000000", "null", "\\\"", "\\\\",
            "a\\tb", "\\u00e9", "\\uFFFE", "\\uDBFF\\uDFFF", "%00", "..", "a.b", "k$y",
        ];

        private static readonly string[] Keys =
        [
            "event_name", "created_at", "user_id", "email", "id", "metadata", "event_summaries", "count", "first", "last", "query",
            "and", "or", "not", "per_page", "starting_after", "description", "amount", "currency", "url", "value", "price", "x_date",
            "count_gt", "first_after", "last_less_than_days_ago", "\\u0000", "\\ud800", "a.b", "", "😀", "\u202e",
        ];

        public static string Value(Random random, int depth) => random.Next(depth > 4 ? 6 : 9) switch
        {
            0 or 1 => Numbers[random.Next(Numbers.Length)],
            2 or 3 => StringValue(random),
            4 => random.Next(2) == 0 ? "true" : "false",
            5 => "null",
            6 or 7 => Object(random, depth + 1, duplicateKeys: random.Next(5) == 0),
            _ => $"[{string.Join(',', Enumerable.Range(0, random.Next(4)).Select(_ => Value(random, depth + 1)))}]",
        };

        public static string StringValue(Random random) => random.Next(10) switch
        {
            0 => $"\"{new string('s', random.Next(250, 2100))}\"",
            1 => $"\"{string.Concat(Enumerable.Range(0, random.Next(2, 6)).Select(_ => Strings[random.Next(Strings.Length)]))}\"",
            _ => $"\"{Strings[random.Next(Strings.Length)]}\"",
        };

        public static string Object(Random random, int depth, bool duplicateKeys)
        {
            var keys = Enumerable.Range(0, random.Next(6)).Select(_ => Keys[random.Next(Keys.Length)]).ToList();
            if (!duplicateKeys)
            {
                keys = [.. keys.Distinct()];
            }
            else if (keys.Count > 0)
            {
                keys.Add(keys[0]);
            }

            return $"{{{string.Join(',', keys.Select(k => $"\"{k}\":{Value(random, depth)}"))}}}";
        }

        public static string Nested(Random random, int depth) =>
            depth == 0 ? Value(random, 10) : random.Next(2) == 0 ? $"[{Nested(random, depth - 1)}]" : $"{{\"metadata\":{Nested(random, depth - 1)}}}";

        /// <summary>A valid body of the endpoint.</summary>
        public static string Valid(Random random, string template) =>
            $"{{{string.Join(',', Fields(random, template).Select(f => $"\"{f.Key}\":{f.Value}"))}}}";

        /// <summary>The fields of a valid body of the endpoint, with a valid value each.</summary>
        private static List<(string Key, string Value)> Fields(Random random, string template)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var user = random.Next(5);
            return template switch
            {
                "/events/summaries" => new List<(string, string)>
                {
                    ("user_id", $"\"u{random.Next(5)}\""),
                    ("event_summaries", random.Next(3) == 0
                        ? $"[{{\"event_name\":\"n{random.Next(4)}\",\"count\":{random.Next(1, 9)},\"first\":1600000000,\"last\":1600000100}}]"
                        : $"{{\"event_name\":\"n{random.Next(4)}\",\"count\":{random.Next(1, 9)},\"first\":1600000000,\"last\":1600000100}}"),
                },
                "/segments/search" => new List<(string, string)>
                {
                    ("query", random.Next(2) == 0
                        ? "{\"and\":[{\"event_name\":\"n1\",\"count_gt\":1},{\"not\":{\"event_name\":\"n2\"}}]}"
                        : "{\"event_name\":\"n1\",\"last_less_than_days_ago\":30}"),
                    ("per_page", "10"),
                },
                "/event-names/{name}" => new List<(string, string)> { ("description", "\"what it means\"") },
                Messenger => new List<(string, string)>
                {
                    ("user_id", $"\"u{user}\""),
                    ("user_hash", random.Next(3) switch
                    {
                        0 => "null",
                        1 => $"\"{EventStore.Api.Browser.IdentityVerification.UserHash(FuzzedService.IdentitySecret, $"u{user}")}\"",
                        _ => $"\"{EventStore.Api.Browser.IdentityVerification.UserHash(FuzzedService.IdentitySecret, "someone-else")}\"",
                    }),
                    ("events", $"[{string.Join(',', Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(3) == 0 ? Mutated(random, "/events") : Valid(random, "/events")))}]"),
                },
                _ => new List<(string, string)>
                {
                    ("event_name", $"\"n{random.Next(4)}\""),
                    ("created_at", (now - random.Next(100_000)).ToString(CultureInfo.InvariantCulture)),
                    ("user_id", $"\"u{random.Next(5)}\""),
                    ("email", $"\"u{random.Next(5)}@example.org\""),
                    ("metadata", "{\"plan\":\"pro\",\"price\":{\"amount\":100,\"currency\":\"eur\"},\"link\":\"https://example.org\",\"when_date\":1600000000}"),
                },
            };
        }

        /// <summary>A valid body of the endpoint with some fields replaced, dropped or repeated, so the deeper rules run too.</summary>
        public static string Mutated(Random random, string template)
        {
            var fields = Fields(random, template);
            var output = new List<(string Key, string Value)>();
            foreach (var (key, value) in fields)
            {
                switch (random.Next(10))
                {
                    case 0:
                        break;
                    case 1 or 2:
                        output.Add((key, Value(random, 2)));
                        break;
                    case 3:
                        output.Add((key, value));
                        output.Add((key, Value(random, 2)));
                        break;
                    case 4:
                        output.Add((key, MutateInside(random, value)));
                        break;
                    default:
                        output.Add((key, value));
                        break;
                }
            }

            if (random.Next(4) == 0)
            {
                output.Insert(random.Next(output.Count + 1), (Keys[random.Next(Keys.Length)], Value(random, 2)));
            }

            return $"{{{string.Join(',', output.Select(f => $"\"{f.Key}\":{f.Value}"))}}}";
        }

        /// <summary>Replaces one scalar inside a nested value (for example metadata.price.amount) with an edge case.</summary>
        private static string MutateInside(Random random, string value)
        {
            var node = JsonNode.Parse(value);
            if (node is JsonObject obj && obj.Count > 0)
            {
                var key = obj.ElementAt(random.Next(obj.Count)).Key;
                var inner = obj[key];
                var text = inner is JsonObject ? MutateInside(random, inner.ToJsonString()) : Value(random, 3);
                obj.Remove(key);
                return $"{obj.ToJsonString().TrimEnd('}')}{(obj.Count > 0 ? "," : "")}\"{key}\":{text}}}";
            }

            return Value(random, 3);
        }
    }
}
