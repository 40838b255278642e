using System.Net;
using System.Security.Cryptography;
using System.Text;
using EventStore.Api.Tests.Infrastructure;
using Npgsql;

namespace EventStore.Api.Tests.Admin;

/// <summary>Operators create, list and revoke workspace tokens at run time through /admin/tokens.</summary>
public sealed class when_issuing_access_tokens(ApiFixture api) : IClassFixture<ApiFixture>
{
    private Task<Response> Create(string body) => api.Host.Send(HttpMethod.Post, "/admin/tokens", body, ApiFixture.AdminToken);

    private Task<Response> Track(string token, string user = "issued-user") => api.Host.PostEvent(Scenarios.Event(userId: user), token);

    [Fact]
    public async Task answers_201_with_the_token_and_its_secret()
    {
        var created = await Create("""{"workspace":"acme","scopes":["events:write","events:read"],"name":"ios app"}""");

        created.Status.ShouldBe(HttpStatusCode.Created, created.Body);
        var json = created.Json;
        json["type"]!.GetValue<string>().ShouldBe("access_token");
        json["id"]!.GetValue<string>().ShouldStartWith("tok_");
        json["workspace"]!.GetValue<string>().ShouldBe("acme");
        json["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["events:write", "events:read"]);
        json["name"]!.GetValue<string>().ShouldBe("ios app");
        json["token"]!.GetValue<string>().ShouldMatch("^es_[A-Za-z0-9_-]{43}$", "es_ and 32 random bytes in base64url");
        json["created_at"]!.GetValue<long>().ShouldBeInRange(Scenarios.Now - 60, Scenarios.Now + 3600, "Unix seconds");
        created.Headers["Cache-Control"].ShouldBe("no-store", "the secret must not be cached on the way");
    }

    [Fact]
    public async Task lets_the_new_token_work_at_once()
    {
        var (_, secret) = await api.Host.CreateToken("acme", "events:write", "events:read");

        (await Track(secret, "works-at-once")).Status.ShouldBe(HttpStatusCode.Accepted);
        (await api.Host.Get("/events?type=user&user_id=works-at-once", secret)).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task lists_the_workspaces_tokens_without_their_secrets()
    {
        var (acmeId, acmeSecret) = await api.Host.CreateToken("acme", "events:read");
        var (globexId, _) = await api.Host.CreateToken("globex", "events:read");

        var list = await api.Host.Get("/admin/tokens?workspace=acme", ApiFixture.AdminToken);

        list.Status.ShouldBe(HttpStatusCode.OK, list.Body);
        list.Json["type"]!.GetValue<string>().ShouldBe("access_token.list");
        var ids = list.Json["access_tokens"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ToList();
        ids.ShouldContain(acmeId);
        ids.ShouldNotContain(globexId, "only the workspace asked for");
        list.Body.ShouldNotContain(acmeSecret, Case.Sensitive, "a secret is shown only on creation");
        list.Body.ShouldNotContain("\"token\"", Case.Sensitive, "the list has no token field");
    }

    [Fact]
    public async Task stores_only_the_sha256_of_the_secret()
    {
        var (id, secret) = await api.Host.CreateToken("acme", "events:read");
        var dataSource = (NpgsqlDataSource)api.Host.Services.GetService(typeof(NpgsqlDataSource))!;

        await using var command = dataSource.CreateCommand("select row_to_json(t)::text, t.secret_sha256 from eventstore.access_tokens t where id = $1");
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        (await reader.ReadAsync(TestContext.Current.CancellationToken)).ShouldBeTrue();

        reader.GetString(0).ShouldNotContain(secret[3..], Case.Sensitive, "the secret is never stored in clear");
        reader.GetFieldValue<byte[]>(1).ShouldBe(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }

    [Fact]
    public async Task refuses_a_revoked_token_on_the_next_request()
    {
        var (id, secret) = await api.Host.CreateToken("acme", "events:write");
        (await Track(secret)).Status.ShouldBe(HttpStatusCode.Accepted, "the token works before it is revoked");

        (await api.Host.RevokeToken(id)).Status.ShouldBe(HttpStatusCode.NoContent);

        (await Track(secret)).ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task no_longer_lists_a_revoked_token()
    {
        var (id, _) = await api.Host.CreateToken("acme", "events:read");

        await api.Host.RevokeToken(id);

        (await api.Host.Get("/admin/tokens?workspace=acme", ApiFixture.AdminToken)).Body.ShouldNotContain(id);
    }

    [Fact]
    public async Task answers_204_to_revoking_a_token_again()
    {
        var (id, _) = await api.Host.CreateToken("acme", "events:read");
        await api.Host.RevokeToken(id);

        (await api.Host.RevokeToken(id)).Status.ShouldBe(HttpStatusCode.NoContent, "revoking is idempotent");
    }

    [Fact]
    public async Task answers_404_to_revoking_a_token_nobody_has()
    {
        (await api.Host.RevokeToken("tok_000000000000000000000000")).ShouldBeError(HttpStatusCode.NotFound, "not_found");
        (await api.Host.RevokeToken("not-a-token-id")).ShouldBeError(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task answers_404_for_a_workspace_not_configured()
    {
        (await Create("""{"workspace":"initech","scopes":["events:read"]}""")).ShouldBeError(HttpStatusCode.NotFound, "not_found", "workspace");
        (await api.Host.Get("/admin/tokens?workspace=initech", ApiFixture.AdminToken)).ShouldBeError(HttpStatusCode.NotFound, "not_found", "workspace");
    }

    [Fact]
    public async Task refuses_the_admin_scope_for_a_workspace_token()
    {
        (await Create("""{"workspace":"acme","scopes":["admin"]}""")).ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "scopes");
    }

    [Fact]
    public async Task refuses_a_token_without_scopes()
    {
        (await Create("""{"workspace":"acme","scopes":[]}""")).ShouldBeError(HttpStatusCode.BadRequest, "parameter_not_found", "scopes");
        (await Create("""{"workspace":"acme"}""")).ShouldBeError(HttpStatusCode.BadRequest, "parameter_not_found", "scopes");
    }

    [Fact]
    public async Task refuses_fields_it_does_not_know()
    {
        (await Create("""{"workspace":"acme","scopes":["events:read"],"expires":1}""")).ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "expires");
    }

    [Fact]
    public async Task refuses_a_malformed_workspace_id()
    {
        (await Create("""{"workspace":"ACME!","scopes":["events:read"]}""")).ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "workspace");
    }

    [Fact]
    public async Task keeps_the_configured_tokens_working()
    {
        await api.Host.CreateToken("acme", "events:read");

        (await Track(ApiFixture.AcmeToken, "configured")).Status.ShouldBe(HttpStatusCode.Accepted);
        (await api.Host.Get("/events?type=user&user_id=configured")).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task gives_an_issued_token_only_its_own_scopes()
    {
        var (_, readOnly) = await api.Host.CreateToken("acme", "events:read");

        (await Track(readOnly)).ShouldBeError(HttpStatusCode.Forbidden, "forbidden");
    }
}
