using EventStore.Api.Workspaces;
using JasperFx.CommandLine;

namespace EventStore.Api.Admin;

public sealed class TokensInput : NetCoreInput
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
public sealed class TokensCommand : JasperFxAsyncCommand<TokensInput>
{
    public TokensCommand()
    {
        Usage("Create a token, or list the tokens not revoked").Arguments(x => x.Action);
        Usage("Revoke a token").Arguments(x => x.Action, x => x.Id);
    }

    public override async Task<bool> Execute(TokensInput input)
    {
        using var host = input.BuildHost();
        // The service creates or migrates the schema when it starts; the command may run before it ever did.
        await host.Services.GetRequiredService<Marten.IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var tokens = host.Services.GetRequiredService<IssuedTokens>();
        var configured = host.Services.GetRequiredService<AccessTokens>();
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

                foreach (var listed in await tokens.ListAsync(workspace, CancellationToken.None))
                {
                    Console.WriteLine(FormattableString.Invariant(
                        $"{listed.Id}\t{listed.Workspace}\t{string.Join(",", listed.Scopes)}\t{listed.CreatedAt:yyyy-MM-ddTHH:mm:ssZ}\t{listed.Name}"));
                }

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

    private static bool Fail(string message)
    {
        Console.Error.WriteLine(message);
        return false;
    }
}
