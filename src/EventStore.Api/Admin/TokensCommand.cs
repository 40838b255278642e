using EventStore.Api.Hosting;
using EventStore.Api.Workspaces;
using JasperFx.CommandLine;

namespace EventStore.Api.Admin;

public sealed class TokensInput : ServiceInput
{
    [Description("create, list or revoke")]
    public string Action { get; set; } = "";

    [Description("The id of the token to revoke (tok_…)")]
    public string Id { get; set; } = "";

    [Description("The workspace of the token (create), or whose tokens to list (list; all when absent)")]
    public string WorkspaceFlag { get; set; } = "";

    [Description("Comma-separated scopes: events:write, events:read, users:erase (create)")]
    public string ScopesFlag { get; set; } = "";

    [Description("What the token is for, e.g. 'ios app' (create)")]
    public string NameFlag { get; set; } = "";
}

/// <summary>
/// <c>tokens create --workspace acme --scopes events:write,events:read --name "ios app"</c>,
/// <c>tokens list [--workspace acme]</c>, <c>tokens revoke tok_…</c>: the admin API from the command line, against
/// the database the configuration names. The secret of a created token is printed once, on standard output.
/// </summary>
[Description("Creates, lists or revokes workspace access tokens", Name = "tokens")]
public sealed class TokensCommand : ServiceCommand<TokensInput>
{
    public TokensCommand()
    {
        Usage("Create a token, or list the tokens not revoked").Arguments(x => x.Action);
        Usage("Revoke a token").Arguments(x => x.Action, x => x.Id);
    }

    protected override async Task<bool> Execute(TokensInput input, IServiceProvider services)
    {
        // The service creates or migrates the schema when it starts; the command may run before it ever did.
        await services.GetRequiredService<Marten.IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var tokens = services.GetRequiredService<IssuedTokens>();
        var configured = services.GetRequiredService<AccessTokens>();
        var workspace = input.WorkspaceFlag.Length == 0 ? null : input.WorkspaceFlag;
        switch (input.Action.ToLowerInvariant())
        {
            case "create":
                var scopes = input.ScopesFlag.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
                var name = input.NameFlag.Length == 0 ? null : input.NameFlag;
                if (AccessTokenRequest.Check(workspace, scopes, name) is { Count: > 0 } rejections)
                {
                    return Fail(string.Join(Environment.NewLine, rejections.Select(r => $"--{r.Field}: {r.Message}")));
                }

                if (!configured.IsWorkspace(workspace!))
                {
                    return Fail($"No workspace '{workspace}' is configured (Workspaces:N:Id).");
                }

                var (token, secret) = await tokens.CreateAsync(workspace!, scopes, name ?? "", CancellationToken.None);
                Console.WriteLine($"Created {token.Id} for workspace '{token.Workspace}' with {string.Join(",", token.Scopes)}.");
                Console.WriteLine("The token is shown only this once:");
                Console.WriteLine(secret);
                return true;

            case "list":
                if (workspace is not null && !configured.IsWorkspace(workspace))
                {
                    return Fail($"No workspace '{workspace}' is configured (Workspaces:N:Id).");
                }

                var listed = await tokens.ListAsync(workspace, CancellationToken.None);
                if (listed.Count == 0)
                {
                    Console.WriteLine(workspace is null ? "No tokens have been issued (configured tokens are not listed)." : $"No tokens have been issued for workspace '{workspace}' (configured tokens are not listed).");
                    return true;
                }

                TextTable.Write(Console.Out, ["ID", "WORKSPACE", "SCOPES", "CREATED", "NAME"], listed.Select(t => (IReadOnlyList<string>)
                    [t.Id, t.Workspace, string.Join(",", t.Scopes), FormattableString.Invariant($"{t.CreatedAt:yyyy-MM-ddTHH:mm:ssZ}"), t.Name]));

                return true;

            case "revoke":
                if (!IssuedTokens.IsTokenId(input.Id) || !await tokens.RevokeAsync(input.Id, CancellationToken.None))
                {
                    return Fail($"No token has the id '{input.Id}'.");
                }

                Console.WriteLine($"Revoked {input.Id}.");
                return true;

            default:
                return Fail("Use create, list or revoke.");
        }
    }
}
