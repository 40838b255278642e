using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Http;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Privacy;
using Json.Schema;

namespace EventStore.Api.Tests.Http;

/// <summary>
/// GET /openapi/v1.json describes every endpoint, and what the endpoints really answer validates against it: the
/// document is checked strictly (no property it does not name), so a renamed or added field fails here.
/// </summary>
public sealed class when_reading_the_api_document(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly string[] Methods = ["get", "post", "put", "delete"];

    private async Task<JsonNode> DocumentAsync()
    {
        var response = await api.Host.Send(HttpMethod.Get, ApiDocument.Path, token: null);
        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        return response.Json;
    }

    [Fact]
    public async Task every_endpoint_is_described_with_its_answers_errors_and_the_bearer_scheme()
    {
        var document = await DocumentAsync();

        document["openapi"]!.GetValue<string>().ShouldStartWith("3.1");
        document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>().ShouldBe("bearer");
        var operations = document["paths"]!.AsObject()
            .SelectMany(path => Methods.Where(m => path.Value![m] is not null).Select(m => (Key: $"{m.ToUpperInvariant()} {path.Key}", Operation: path.Value![m]!)))
            .ToList();
        operations.Select(o => o.Key).ShouldBe(ApiDescriptions.All.Keys, ignoreOrder: true, "every endpoint, and only those, described in ApiDescriptions");
        foreach (var (key, operation) in operations)
        {
            operation["summary"]!.GetValue<string>().ShouldBe(ApiDescriptions.All[key].Summary, key);
            operation["tags"]!.AsArray().Count.ShouldBe(1, key);
            var responses = operation["responses"]!.AsObject();
            responses.Any(r => r.Key.StartsWith('2')).ShouldBeTrue($"{key} names its success");
            var error = responses["503"]!["content"]!["application/json"]!["schema"]!;
            error["properties"]!["errors"].ShouldNotBeNull($"{key}: errors are error.list");
            if (ApiDescriptions.All[key].Anonymous)
            {
                operation["security"]!.AsArray().ShouldBeEmpty($"{key} needs no token");
            }
            else
            {
                responses["401"].ShouldNotBeNull($"{key} needs a token");
            }
        }
    }

    [Fact]
    public async Task what_the_main_endpoints_answer_validates_against_it()
    {
        var document = await DocumentAsync();
        var now = Scenarios.Now;
        await api.Track("doc-user", "placed-order", now - 60, email: "doc@example.org",
            metadata: new { total = new { amount = 1250, currency = "usd" }, article = "https://example.org/a", seen_date = now - 3600 });
        await api.Track("doc-user", "invited-friend", now - 30);
        await api.Track("doc-other", "placed-order", now - 20);
        var (tokenId, _) = await api.Host.CreateToken("acme", "events:read");

        var requests = new (string Method, string Path, string Url, object? Body, string Token, int Status)[]
        {
            ("POST", "/events", "/events", Scenarios.Event("placed-order", now - 10, "doc-user"), ApiFixture.AcmeToken, 202),
            ("POST", "/events", "/events", new { event_name = "x" }, ApiFixture.AcmeToken, 400),
            ("POST", "/events/bulk", "/events/bulk", new[] { Scenarios.Event("bulk-thing", now - 5, "doc-user"), new { event_name = "no-time" } }, ApiFixture.AcmeToken, 200),
            ("POST", "/events/summaries", "/events/summaries", new { user_id = "doc-user", event_summaries = new { event_name = "imported", count = 2, first = now - 900, last = now - 800 } }, ApiFixture.AcmeToken, 200),
            ("GET", "/events", "/events?type=user&user_id=doc-user&per_page=1", null, ApiFixture.AcmeToken, 200),
            ("GET", "/events", "/events?type=user&user_id=doc-user&summary=true", null, ApiFixture.AcmeToken, 200),
            ("GET", "/events", "/events?type=user&user_id=nobody", null, ApiFixture.AcmeToken, 404),
            ("GET", "/events", "/events?type=user&user_id=doc-user", null, "wrong-token", 401),
            ("GET", "/events/activity", "/events/activity?interval=day", null, ApiFixture.AcmeToken, 200),
            ("GET", "/workspace", "/workspace", null, ApiFixture.AcmeToken, 200),
            ("GET", "/me", "/me", null, ApiFixture.AdminToken, 200),
            ("GET", "/segments", "/segments?per_page=1", null, ApiFixture.AcmeToken, 200),
            ("GET", "/segments/{eventName}", "/segments/placed-order", null, ApiFixture.AcmeToken, 200),
            ("GET", "/segments/{eventName}/users", "/segments/placed-order/users?per_page=1&count_gt=0", null, ApiFixture.AcmeToken, 200),
            ("POST", "/segments/search", "/segments/search", new { query = new { and = new object[] { new { event_name = "placed-order" }, new { not = new { event_name = "invited-friend" } } } }, per_page = 1 }, ApiFixture.AcmeToken, 200),
            ("GET", "/event-names", "/event-names", null, ApiFixture.AcmeToken, 200),
            ("PUT", "/event-names/{name}", "/event-names/placed-order", new { description = "An order" }, ApiFixture.AcmeToken, 200),
            ("POST", "/event-names/{name}/archive", "/event-names/invited-friend/archive", null, ApiFixture.AcmeToken, 200),
            ("POST", "/event-names/{name}/unarchive", "/event-names/invited-friend/unarchive", null, ApiFixture.AcmeToken, 200),
            ("GET", "/admin/projections", "/admin/projections", null, ApiFixture.AdminToken, 200),
            ("GET", "/admin/projections/rebuilds", "/admin/projections/rebuilds", null, ApiFixture.AdminToken, 200),
            ("GET", "/admin/tokens", "/admin/tokens", null, ApiFixture.AdminToken, 200),
            ("POST", "/admin/tokens", "/admin/tokens", new { workspace = "acme", scopes = new[] { "events:read" }, name = "doc" }, ApiFixture.AdminToken, 201),
            ("DELETE", "/admin/tokens/{id}", $"/admin/tokens/{tokenId}", null, ApiFixture.AdminToken, 204),
            ("GET", "/admin/tokens", "/admin/tokens", null, ApiFixture.AcmeToken, 403),
        };

        foreach (var (method, path, url, body, token, status) in requests)
        {
            var response = await api.Host.Send(new HttpMethod(method), url, body is null ? null : JsonSerializer.Serialize(body), token);
            ((int)response.Status).ShouldBe(status, $"{method} {url}: {response.Body}");
            ShouldValidate(document, method, path, status, response.Body);
        }

        var erasure = await api.Erase(new { user_id = "doc-other" });
        ShouldValidate(document, "POST", "/users/erase", 200, erasure.Body);
        var export = await api.Export("user_id=doc-user");
        ShouldValidate(document, "GET", "/users/export", 200, export.Body);
        var rebuild = await api.Host.Send(HttpMethod.Post, "/admin/projections/EventActivity/rebuild", token: ApiFixture.AdminToken);
        ShouldValidate(document, "POST", "/admin/projections/{name}/rebuild", 202, rebuild.Body);
        var job = await api.Host.Get($"/admin/projections/rebuilds/{rebuild.Json["id"]}", ApiFixture.AdminToken);
        ShouldValidate(document, "GET", "/admin/projections/rebuilds/{id}", 200, job.Body);
    }

    private static void ShouldValidate(JsonNode document, string method, string path, int status, string body)
    {
        var response = document["paths"]![path]?[method.ToLowerInvariant()]?["responses"]?[status.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        response.ShouldNotBeNull($"the document has no {status} for {method} {path}");
        var content = response["content"]?["application/json"]?["schema"];
        if (content is null)
        {
            body.ShouldBeEmpty($"{method} {path} {status} is documented without a body");
            return;
        }

        var schema = Strict(content.DeepClone());
        var evaluation = JsonSchema.FromText(schema.ToJsonString(), baseUri: new Uri($"https://eventstore.test/{Guid.NewGuid():N}"))
            .Evaluate(JsonDocument.Parse(body).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        evaluation.IsValid.ShouldBeTrue($"{method} {path} {status} does not match the document:{Environment.NewLine}" +
            string.Join(Environment.NewLine, (evaluation.Details ?? []).Where(d => d.Errors is not null)
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))) + $"{Environment.NewLine}{body}");
    }

    /// <summary>Every object schema that names its properties allows no other: a field the document does not name fails.</summary>
    private static JsonNode Strict(JsonNode schema)
    {
        if (schema is JsonObject node)
        {
            if (node["properties"] is JsonObject && node["additionalProperties"] is null)
            {
                node["additionalProperties"] = false;
            }

            foreach (var child in node.Select(p => p.Value).Where(v => v is not null).ToList())
            {
                Strict(child!);
            }
        }
        else if (schema is JsonArray array)
        {
            foreach (var item in array.Where(i => i is not null))
            {
                Strict(item!);
            }
        }

        return schema;
    }
}
