using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Domain.Timelines;

namespace EventStore.Api.Tests.Workspaces;

/// <summary>
/// The access matrix: every endpoint × {no token, unknown token, another workspace's token, a token without the
/// endpoint's scope, the right token}. Only the right token gets this workspace's data: 401 without a valid token,
/// 403 without the scope, and another workspace's token sees exactly what it would see of a workspace that never
/// had this data (a user of acme is the same 404 as a user nobody has; acme's event names do not appear).
/// </summary>
public sealed class when_a_token_asks_for_an_endpoint(ApiFixture api) : IClassFixture<ApiFixture>
{
    /// <summary>An event name and a user only acme has.</summary>
    private const string AcmeName = "acme-only-event";
    private const string AcmeUser = "acme-only-user";

    /// <summary>One endpoint: how to call it, what the right token gets, and what scope it needs.</summary>
    private sealed record Endpoint(HttpMethod Method, string Url, string? Body, HttpStatusCode Success, string Scope);

    /// <summary>Stands for a created_at no other call uses, so that every write is a new event, never a duplicate of an earlier test's.</summary>
    private const string Fresh = "{fresh}";

    private const string OneEvent = $$"""{"event_name":"matrix-write","created_at":{{Fresh}},"user_id":"matrix-writer"}""";

    private static long nextCreatedAt = Scenarios.Now - 1_000_000;

    private static readonly Dictionary<string, Endpoint> Endpoints = new()
    {
        ["POST /events"] = new(HttpMethod.Post, "/events", OneEvent, HttpStatusCode.Accepted, "events:write"),
        ["POST /events/bulk"] = new(HttpMethod.Post, "/events/bulk", $"[{OneEvent}]", HttpStatusCode.OK, "events:write"),
        ["POST /events/summaries"] = new(HttpMethod.Post, "/events/summaries",
            """{"user_id":"matrix-writer","event_summaries":{"event_name":"imported","count":2,"first":1389913941,"last":{fresh}}}""", HttpStatusCode.OK, "events:write"),
        ["PUT /event-names/{name}"] = new(HttpMethod.Put, $"/event-names/{AcmeName}", """{"description":"only acme has it"}""", HttpStatusCode.OK, "events:write"),
        ["POST /event-names/{name}/archive"] = new(HttpMethod.Post, $"/event-names/{AcmeName}/archive", null, HttpStatusCode.OK, "events:write"),
        ["POST /event-names/{name}/unarchive"] = new(HttpMethod.Post, $"/event-names/{AcmeName}/unarchive", null, HttpStatusCode.OK, "events:write"),
        ["GET /events"] = new(HttpMethod.Get, $"/events?type=user&user_id={AcmeUser}", null, HttpStatusCode.OK, "events:read"),
        ["GET /events?summary=true"] = new(HttpMethod.Get, $"/events?type=user&user_id={AcmeUser}&summary=true", null, HttpStatusCode.OK, "events:read"),
        ["GET /segments"] = new(HttpMethod.Get, "/segments?include_archived=true", null, HttpStatusCode.OK, "events:read"),
        ["GET /segments/{name}"] = new(HttpMethod.Get, $"/segments/{AcmeName}", null, HttpStatusCode.OK, "events:read"),
        ["GET /segments/{name}/users"] = new(HttpMethod.Get, $"/segments/{AcmeName}/users", null, HttpStatusCode.OK, "events:read"),
        ["POST /segments/search"] = new(HttpMethod.Post, "/segments/search", $$$"""{"query":{"event_name":"{{{AcmeName}}}"}}""", HttpStatusCode.OK, "events:read"),
        ["GET /event-names"] = new(HttpMethod.Get, "/event-names", null, HttpStatusCode.OK, "events:read"),
        ["GET /users/export"] = new(HttpMethod.Get, $"/users/export?user_id={AcmeUser}", null, HttpStatusCode.OK, "users:erase"),
        ["POST /admin/tokens"] = new(HttpMethod.Post, "/admin/tokens", """{"workspace":"acme","scopes":["events:read"],"name":"matrix"}""", HttpStatusCode.Created, "admin"),
        ["GET /admin/tokens"] = new(HttpMethod.Get, "/admin/tokens?workspace=acme", null, HttpStatusCode.OK, "admin"),
        ["DELETE /admin/tokens/{id}"] = new(HttpMethod.Delete, "/admin/tokens/{id}", null, HttpStatusCode.NoContent, "admin"),
        ["GET /admin/projections"] = new(HttpMethod.Get, "/admin/projections", null, HttpStatusCode.OK, "admin"),
        ["POST /admin/projections/{name}/rebuild"] = new(HttpMethod.Post, "/admin/projections/EventNameCatalog/rebuild?workspace=acme", null, HttpStatusCode.Accepted, "admin"),
    };

    public static TheoryData<string> EveryEndpoint => [.. Endpoints.Keys];

    public static TheoryData<string> WorkspaceEndpoints => [.. Endpoints.Where(e => e.Value.Scope != "admin").Select(e => e.Key)];

    /// <summary>Workspace endpoints that a token with only <c>users:erase</c> must not reach.</summary>
    public static TheoryData<string> EventEndpoints => [.. Endpoints.Where(e => e.Value.Scope.StartsWith("events:", StringComparison.Ordinal)).Select(e => e.Key)];

    /// <summary>Reads of one user: another workspace's token gets the 404 of a user nobody has.</summary>
    public static TheoryData<string> UserReads => ["GET /events", "GET /events?summary=true"];

    /// <summary>Endpoints naming an acme-only event name: another workspace's token gets the 404 of a name never tracked.</summary>
    public static TheoryData<string> NameEndpoints =>
        ["GET /segments/{name}", "GET /segments/{name}/users", "PUT /event-names/{name}", "POST /event-names/{name}/archive", "POST /event-names/{name}/unarchive"];

    /// <summary>Lists: another workspace's token gets its own (empty) list, without acme's names.</summary>
    public static TheoryData<string> Lists => ["GET /segments", "GET /event-names", "POST /segments/search"];

    /// <summary>Writes that create data: another workspace's token writes into its own workspace, never into acme.</summary>
    public static TheoryData<string> CreatingWrites => ["POST /events", "POST /events/bulk", "POST /events/summaries"];

    /// <summary>Workspace tokens of acme with one scope each, issued through the admin API.</summary>
    private sealed record ScopedTokens(string ReadOnly, string WriteOnly, string EraseOnly);

    /// <summary>Seeds acme's user and name and issues the scoped tokens, once per fixture.</summary>
    private Task<ScopedTokens> Tokens() => api.Once("acme's user, name and scoped tokens", async () =>
    {
        (await api.Host.PostEvent(Scenarios.Event(name: AcmeName, userId: AcmeUser))).Status.ShouldBe(HttpStatusCode.Accepted);
        return new ScopedTokens(
            (await api.Host.CreateToken("acme", "events:read")).Secret,
            (await api.Host.CreateToken("acme", "events:write")).Secret,
            (await api.Host.CreateToken("acme", "users:erase")).Secret);
    });

    private async Task<Response> Call(string endpoint, string? token)
    {
        await Tokens();
        var e = Endpoints[endpoint];
        var url = e.Url;
        if (url.Contains("{id}", StringComparison.Ordinal))
        {
            // A token that exists, so that only the caller decides the answer.
            url = url.Replace("{id}", (await api.Host.CreateToken("acme", "events:read")).Id, StringComparison.Ordinal);
        }

        return await api.Host.Send(e.Method, url, e.Body?.Replace(Fresh, Interlocked.Increment(ref nextCreatedAt).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), token);
    }

    [Theory]
    [MemberData(nameof(EveryEndpoint))]
    public async Task refuses_a_request_without_a_token_with_401(string endpoint) =>
        (await Call(endpoint, token: null)).ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");

    [Theory]
    [MemberData(nameof(EveryEndpoint))]
    public async Task refuses_a_token_nobody_has_with_401(string endpoint) =>
        (await Call(endpoint, token: "not-a-token-of-anyone")).ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");

    [Theory]
    [MemberData(nameof(EveryEndpoint))]
    public async Task refuses_an_issued_looking_token_nobody_has_with_401(string endpoint) =>
        (await Call(endpoint, token: "es_" + new string('A', 43))).ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");

    [Theory]
    [MemberData(nameof(EveryEndpoint))]
    public async Task refuses_a_token_without_the_endpoints_scope_with_403(string endpoint)
    {
        var tokens = await Tokens();
        var token = Endpoints[endpoint].Scope switch
        {
            "events:write" => tokens.ReadOnly,
            "events:read" => tokens.WriteOnly,
            // Everything about one person at once is a privacy request: reading events is not enough.
            "users:erase" => tokens.ReadOnly,
            _ => ApiFixture.AcmeToken, // a workspace token with every workspace scope is still no operator
        };

        (await Call(endpoint, token)).ShouldBeError(HttpStatusCode.Forbidden, "forbidden");
    }

    [Theory]
    [MemberData(nameof(EventEndpoints))]
    public async Task refuses_a_token_with_only_users_erase_with_403(string endpoint)
    {
        var tokens = await Tokens();

        (await Call(endpoint, tokens.EraseOnly)).ShouldBeError(HttpStatusCode.Forbidden, "forbidden");
    }

    [Theory]
    [MemberData(nameof(WorkspaceEndpoints))]
    public async Task refuses_an_operator_token_on_a_workspace_endpoint_with_403(string endpoint) =>
        (await Call(endpoint, ApiFixture.AdminToken)).ShouldBeError(HttpStatusCode.Forbidden, "forbidden");

    [Theory]
    [MemberData(nameof(EveryEndpoint))]
    public async Task serves_the_right_token(string endpoint)
    {
        var token = Endpoints[endpoint].Scope switch
        {
            "admin" => ApiFixture.AdminToken,
            "users:erase" => (await Tokens()).EraseOnly,
            _ => ApiFixture.AcmeToken,
        };

        var response = await Call(endpoint, token);

        response.Status.ShouldBe(Endpoints[endpoint].Success, $"{endpoint}: {response.Body}");
    }

    [Theory]
    [MemberData(nameof(WorkspaceEndpoints))]
    public async Task serves_an_issued_token_with_the_scope(string endpoint)
    {
        var tokens = await Tokens();
        var token = Endpoints[endpoint].Scope switch
        {
            "events:write" => tokens.WriteOnly,
            "users:erase" => tokens.EraseOnly,
            _ => tokens.ReadOnly,
        };

        var response = await Call(endpoint, token);

        response.Status.ShouldBe(Endpoints[endpoint].Success, $"{endpoint}: {response.Body}");
    }

    [Theory]
    [MemberData(nameof(UserReads))]
    public async Task answers_another_workspaces_token_as_for_a_user_nobody_has(string endpoint)
    {
        var theirs = await Call(endpoint, ApiFixture.GlobexToken);
        var nobodys = await api.Host.Send(HttpMethod.Get, Endpoints[endpoint].Url.Replace(AcmeUser, "nobody-has-this-user", StringComparison.Ordinal), token: ApiFixture.AcmeToken);

        theirs.ShouldBeError(HttpStatusCode.NotFound, "not_found");
        theirs.Errors().ShouldBe(nobodys.Errors(), "the answer must not tell a user of another workspace from one that does not exist");
    }

    [Theory]
    [MemberData(nameof(NameEndpoints))]
    public async Task answers_another_workspaces_token_as_for_a_name_never_tracked(string endpoint)
    {
        var theirs = await Call(endpoint, ApiFixture.GlobexToken);
        var never = await api.Host.Send(Endpoints[endpoint].Method, Endpoints[endpoint].Url.Replace(AcmeName, "never-tracked", StringComparison.Ordinal),
            Endpoints[endpoint].Body, ApiFixture.AcmeToken);

        theirs.ShouldBeError(HttpStatusCode.NotFound, "not_found");
        theirs.Errors().Select(e => e.Code).ShouldBe(never.Errors().Select(e => e.Code));
    }

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task lists_nothing_of_this_workspace_to_another_workspaces_token(string endpoint)
    {
        var theirs = await Call(endpoint, ApiFixture.GlobexToken);

        theirs.Status.ShouldBe(HttpStatusCode.OK, theirs.Body);
        theirs.Body.ShouldNotContain(AcmeName, Case.Sensitive, "acme's event names must not appear to globex");
        theirs.Body.ShouldNotContain(AcmeUser, Case.Sensitive, "acme's users must not appear to globex");
    }

    [Theory]
    [MemberData(nameof(CreatingWrites))]
    public async Task writes_another_workspaces_token_into_its_own_workspace_only(string endpoint)
    {
        await Tokens(); // acme's seed first: counted before the call, not mistaken for globex's write
        var acmeBefore = (await api.EventsIn("acme")).Count;
        var globexBefore = (await api.EventsIn("globex")).Count;

        var theirs = await Call(endpoint, ApiFixture.GlobexToken);

        theirs.Status.ShouldBe(Endpoints[endpoint].Success, theirs.Body);
        (await api.EventsIn("acme")).Count.ShouldBe(acmeBefore, "globex's token must not write into acme");
        var landed = (await api.EventsIn("globex")).Skip(globexBefore).Select(e => e.Data).ToList();
        landed.Any(IsMatrixWriters).ShouldBeTrue("the write lands in globex, the token's own workspace");
    }

    private static bool IsMatrixWriters(object data) =>
        data is EventTracked { UserId: "matrix-writer" } or EventSummaryImported { UserId: "matrix-writer" };
}
