using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Browser;
using EventStore.Api.Tests.Infrastructure;
using static EventStore.Api.Tests.Browser.BrowserWorkspacesService;

namespace EventStore.Api.Tests.Browser;

/// <summary>
/// POST /messenger/{appId}/events through the real pipeline: what the widget sends for a page. Only an allowed origin,
/// only a verified user (unless the workspace allows unverified ones), the rules and de-duplication of POST /events.
/// </summary>
public sealed class when_a_page_sends_events_to_the_browser_endpoint(BrowserWorkspacesService api) : IClassFixture<BrowserWorkspacesService>
{
    private async Task<JsonArray> Timeline(string userId, string token = ApiFixture.AcmeToken)
    {
        var read = await api.Host.Get($"/events?type=user&user_id={userId}&per_page=50", token);
        read.Status.ShouldBe(HttpStatusCode.OK, read.Body);
        return read.Json["events"]!.AsArray();
    }

    private async Task ShouldHaveNoTimeline(string userId, string token = ApiFixture.AcmeToken) =>
        (await api.Host.Get($"/events?type=user&user_id={userId}", token)).Status.ShouldBe(HttpStatusCode.NotFound, $"nothing may be stored for {userId}");

    [Fact]
    public async Task stores_a_verified_users_events_in_its_timeline_and_answers_for_each()
    {
        var sent = await api.SendBatch("acme", Batch("page-user-1",
            Event("invited-friend", Scenarios.Now - 5),
            Event("placed-order", Scenarios.Now, new { order_id = 7, price = new { amount = 3499, currency = "eur" } })));

        sent.Status.ShouldBe(HttpStatusCode.OK, sent.Body);
        sent.Headers["Access-Control-Allow-Origin"].ShouldBe(AcmePage, "the page may read the answer");
        sent.Json["accepted"]!.GetValue<int>().ShouldBe(2, sent.Body);
        var events = await Timeline("page-user-1");
        events.Select(e => e!["event_name"]!.GetValue<string>()).ShouldBe(["placed-order", "invited-friend"]);
        events[0]!["metadata"]!.ToJsonString().ShouldBe("""{"order_id":7,"price":{"amount":3499,"currency":"eur"}}""");
    }

    [Fact]
    public async Task stamps_created_at_with_the_time_of_the_request_when_the_page_sends_none()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        (await api.SendBatch("acme", Batch("page-user-2", Event("opened-app")))).Status.ShouldBe(HttpStatusCode.OK);

        var createdAt = (await Timeline("page-user-2")).Single()!["created_at"]!.GetValue<long>();
        createdAt.ShouldBeInRange(before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task stores_a_batch_sent_again_once()
    {
        var batch = Batch("page-user-3", Event("invited-friend", Scenarios.Now - 1), Event("placed-order", Scenarios.Now));
        (await api.SendBatch("acme", batch)).Json["accepted"]!.GetValue<int>().ShouldBe(2);

        var again = await api.SendBatch("acme", batch);

        again.Json["duplicates"]!.GetValue<int>().ShouldBe(2, again.Body);
        (await Timeline("page-user-3")).Count.ShouldBe(2, "a retried batch is stored once");
    }

    [Fact]
    public async Task names_a_user_by_its_verified_email_when_it_has_no_user_id()
    {
        const string email = "page-user-4@example.org";
        var sent = await api.SendBatch("acme", new { email, user_hash = IdentityVerification.UserHash(AcmeSecret, email), events = new[] { Event("signed-up") } });

        sent.Json["accepted"]!.GetValue<int>().ShouldBe(1, sent.Body);
        (await api.Host.Get($"/events?type=user&email={Uri.EscapeDataString(email)}")).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task never_attaches_an_email_sent_beside_a_verified_user_id()
    {
        var sent = await api.SendBatch("acme", new
        {
            user_id = "page-user-5",
            email = "someone-else@example.org",
            user_hash = IdentityVerification.UserHash(AcmeSecret, "page-user-5"),
            events = new[] { Event("signed-up") },
        });

        sent.Status.ShouldBe(HttpStatusCode.OK, sent.Body);
        (await Timeline("page-user-5")).Single()!["email"].ShouldBeNull("the hash signs the user_id only; the email is the page's word");
        (await api.Host.Get("/events?type=user&email=someone-else%40example.org")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("hash-of-someone-else")]
    public async Task refuses_a_user_whose_hash_is_missing_or_wrong(string? userHash)
    {
        var userId = $"forged-{userHash?.Length ?? -1}";
        var hash = userHash == "hash-of-someone-else" ? IdentityVerification.UserHash(AcmeSecret, "someone-else") : userHash;

        var refused = await api.SendBatch("acme", new { user_id = userId, user_hash = hash, events = new[] { Event("took-over") } });

        refused.ShouldBeError(HttpStatusCode.Forbidden, "forbidden", "user_hash");
        await ShouldHaveNoTimeline(userId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("https://evil.test")]
    [InlineData("https://app.acme.test.evil.test")]
    [InlineData("http://app.acme.test")]
    [InlineData("null")]
    [InlineData(GlobexPage)]
    public async Task refuses_a_page_of_an_origin_not_allowed_without_cors_headers(string? origin)
    {
        var refused = await api.SendBatch("acme", Batch("page-user-6", Event("from-elsewhere")), origin);

        refused.ShouldBeError(HttpStatusCode.Forbidden, "forbidden", "Origin");
        refused.Headers.ShouldNotContainKey("Access-Control-Allow-Origin", "the browser must not let that page read the answer");
        await ShouldHaveNoTimeline("page-user-6");
    }

    [Fact]
    public async Task answers_an_unknown_app_id_exactly_as_an_origin_it_does_not_allow()
    {
        var unknown = await api.SendBatch("no-such-app", Batch("page-user-7", Event("x")), "https://evil.test");
        var known = await api.SendBatch("acme", Batch("page-user-7", Event("x")), "https://evil.test");

        unknown.Status.ShouldBe(known.Status);
        unknown.Errors().Select(e => (e.Code, e.Message, e.Field)).ShouldBe(known.Errors().Select(e => (e.Code, e.Message, e.Field)),
            "nothing tells which workspaces exist");
    }

    [Fact]
    public async Task answers_a_preflight_only_for_an_allowed_origin()
    {
        var allowed = await Preflight("acme", AcmePage);
        var other = await Preflight("acme", "https://evil.test");

        allowed.Status.ShouldBe(HttpStatusCode.NoContent, allowed.Body);
        allowed.Headers["Access-Control-Allow-Origin"].ShouldBe(AcmePage);
        allowed.Headers["Access-Control-Allow-Methods"].ShouldBe("POST");
        allowed.Headers["Access-Control-Allow-Headers"].ShouldBe("Content-Type");
        other.ShouldBeError(HttpStatusCode.Forbidden, "forbidden", "Origin");
        other.Headers.ShouldNotContainKey("Access-Control-Allow-Origin");
    }

    [Fact]
    public async Task takes_json_as_well_as_the_widgets_text_plain()
    {
        var sent = await api.SendBatch("acme", Batch("page-user-8", Event("sent-as-json")), contentType: "application/json");

        sent.Json["accepted"]!.GetValue<int>().ShouldBe(1, sent.Body);
    }

    [Fact]
    public async Task takes_unverified_users_where_the_workspace_allows_them()
    {
        var sent = await api.SendBatch("globex", new { user_id = "page-user-9", events = new[] { Event("browsed") } }, GlobexPage);

        sent.Json["accepted"]!.GetValue<int>().ShouldBe(1, sent.Body);
        (await Timeline("page-user-9", ApiFixture.GlobexToken)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task takes_nothing_for_a_workspace_with_neither_a_secret_nor_unverified_users_allowed()
    {
        var refused = await api.SendBatch("initech", new { user_id = "page-user-10", events = new[] { Event("browsed") } }, "https://app.initech.test");

        refused.ShouldBeError(HttpStatusCode.Forbidden, "forbidden");
        refused.Errors().Single().Message.ShouldContain("IdentitySecret");
    }

    [Fact]
    public async Task refuses_events_of_an_anonymous_visitor()
    {
        var refused = await api.SendBatch("acme", new { events = new[] { Event("browsed") } });

        refused.ShouldBeError(HttpStatusCode.BadRequest, "parameter_not_found", "user_id");
    }

    public static TheoryData<string, string, HttpStatusCode, string, string?> BadBodies => new()
    {
        { "text/html", """{"user_id":"bad-body"}""", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", null },
        { "text/plain", "{\"user_id\":\"bad-body\",", HttpStatusCode.BadRequest, "bad_request", "body" },
        { "text/plain", """{"user_id":"bad-body","user_id":"twice","events":[]}""", HttpStatusCode.BadRequest, "bad_request", "body" },
        { "text/plain", "{\"user_id\":\"bad-body\",\"events\":[{\"event_name\":\"" + new string('x', 70_000) + "\"}]}", HttpStatusCode.RequestEntityTooLarge, "request_too_large", null },
        { "text/plain", """{"user_id":"bad-body","events":"invited-friend"}""", HttpStatusCode.BadRequest, "type_mismatch", "events" },
        { "text/plain", "{\"user_id\":\"bad-body\",\"events\":[" + string.Join(",", Enumerable.Repeat("{\"event_name\":\"a\"}", 51)) + "]}", HttpStatusCode.BadRequest, "parameter_invalid", "events" },
        { "text/plain;charset=latin1", """{"user_id":"bad-body"}""", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", null },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task refuses_a_bad_body_with_an_error_list_and_stores_nothing(string contentType, string body, HttpStatusCode status, string code, string? field)
    {
        var refused = await api.SendRaw("acme", body, contentType: contentType);

        refused.ShouldBeError(status, code, field);
        refused.Headers["Access-Control-Allow-Origin"].ShouldBe(AcmePage, "the page may read why it was refused");
        await ShouldHaveNoTimeline("bad-body");
    }

    /// <summary>Event objects that break a rule of POST /events; each must be refused for the same reasons in a browser batch.</summary>
    public static TheoryData<string> BrokenEvents =>
    [
        """{"created_at":1700000000}""",
        """{"event_name":""}""",
        """{"event_name":42}""",
        """{"event_name":"x","created_at":1700000000000}""",
        """{"event_name":"x","created_at":"yesterday"}""",
        """{"event_name":"x","created_at":99999999999}""",
        """{"event_name":"x","metadata":{"list":[1,2]}}""",
        """{"event_name":"x","metadata":{"nested":{"a":1}}}""",
        """{"event_name":"x","metadata":{"a.b":"dot"}}""",
        """{"event_name":"x","metadata":{"price":{"amount":-5,"currency":"eur"}}}""",
        """{"event_name":"x","metadata":"not-an-object"}""",
    ];

    [Theory]
    [MemberData(nameof(BrokenEvents))]
    public async Task refuses_an_event_for_the_reasons_post_events_gives(string brokenEvent)
    {
        var user = $"same-rules-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(brokenEvent)))[..12]}";
        var item = JsonNode.Parse(brokenEvent)!.AsObject();
        var single = item.DeepClone().AsObject();
        single["user_id"] = user;
        single["created_at"] ??= Scenarios.Now;
        var direct = await api.Host.Send(HttpMethod.Post, "/events", single.ToJsonString());

        var batch = await api.SendRaw("acme", JsonSerializer.Serialize(Batch(user, item, Event("valid-neighbour"))));

        batch.Status.ShouldBe(HttpStatusCode.OK, batch.Body);
        var results = batch.Json["results"]!.AsArray();
        results[0]!["status"]!.GetValue<string>().ShouldBe("rejected", batch.Body);
        results[1]!["status"]!.GetValue<string>().ShouldBe("accepted", "a valid event beside a refused one is stored");
        var errors = results[0]!["errors"]!.AsArray().Select(e => (e!["code"]!.GetValue<string>(), e["field"]?.GetValue<string>()));
        errors.ShouldBe(direct.Errors().Select(e => (e.Code, e.Field)), $"POST /events answered {direct.Body}");
    }

    [Fact]
    public async Task serves_the_widget_script_gzipped_under_10_kb_at_its_path_and_at_intercoms()
    {
        var client = api.Host.Server.CreateClient();
        foreach (var path in new[] { MessengerWidget.Path, "/widget/acme" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.AcceptEncoding.ParseAdd("gzip");
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            var gzipped = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

            response.StatusCode.ShouldBe(HttpStatusCode.OK, path);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("text/javascript");
            response.Content.Headers.ContentEncoding.ShouldBe(["gzip"]);
            gzipped.Length.ShouldBeLessThan(10 * 1024, "the issue's budget for the widget");

            using var again = new HttpRequestMessage(HttpMethod.Get, path);
            again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
            (await client.SendAsync(again, TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.NotModified);
        }
    }

    private async Task<Response> Preflight(string app, string origin) =>
        await api.Host.Send(HttpMethod.Options, $"/messenger/{app}/events", token: null, headers: new Dictionary<string, string>
        {
            ["Origin"] = origin,
            ["Access-Control-Request-Method"] = "POST",
            ["Access-Control-Request-Headers"] = "content-type",
        });
}
