using EventStore.Api.Persistence;
using EventStore.Domain.EventNames;
using EventStore.Domain.Timelines;
using Marten;
using Weasel.Postgresql.Functions;

namespace EventStore.Api.Tracking;

/// <summary>
/// The first statement of a group decided on what the node already knew (its copy of the users' identities and of the
/// event-name catalog) instead of on what it read: it locks the users' streams, in the order every group takes them,
/// then checks under those locks that each user's stored identity and the catalog's row are still what the node
/// decided on. When one is not (another node moved an email, a user was erased, a name was admitted or archived) it
/// fails the transaction as a write conflict (<see cref="SqlState"/>), and the group is decided again on what it
/// reads.
/// </summary>
public static class KnownStateCheck
{
    public const string FunctionName = $"{EventStoreSchema.SchemaName}.require_known_state";

    /// <summary>The SQLSTATE the check raises: a write conflict of its own kind (<c>known_state</c>).</summary>
    public const string SqlState = "ES001";

    // Written as pg_get_functiondef prints it, so that schema validation (db-assert) sees no difference.
    public static Function Definition() => Function.ForSql(
        $"""
        CREATE OR REPLACE FUNCTION {FunctionName}(tenant text, ids text[], user_ids text[], emails text[], catalog_id text, catalog_version text)
         RETURNS boolean
         LANGUAGE plpgsql
        AS $function$
        declare
            locked integer;
            unchanged integer;
        begin
            select count(*) into locked from (
                select 1 from {EventStoreSchema.SchemaName}.mt_streams
                where tenant_id = tenant and id = any(ids) order by id for no key update) streams;
            select count(*) into unchanged from {EventStoreSchema.SchemaName}.mt_doc_usertimeline d
                join unnest(ids, user_ids, emails) as known(id, user_id, email) on d.id = known.id
                where d.tenant_id = tenant and d.data ->> 'UserId' is not distinct from known.user_id
                    and d.data ->> 'Email' is not distinct from known.email;
            if locked < cardinality(ids) or unchanged < cardinality(ids) or catalog_version is distinct from
                (select xmin::text from {EventStoreSchema.SchemaName}.mt_doc_eventnamecatalog where tenant_id = tenant and id = catalog_id) then
                raise exception 'What this node knew of the users or the event names changed' using errcode = '{SqlState}';
            end if;
            return true;
        end;
        $function$;
        """);

    /// <summary>Queues the check of <paramref name="timelines"/> (as the node knows them) and of the catalog's row version, first in the session.</summary>
    public static void Require(IDocumentSession session, IEnumerable<UserTimeline> timelines, string catalogVersion)
    {
        var ordered = timelines.DistinctBy(t => t.Id).OrderBy(t => t.Id, StringComparer.Ordinal).ToList();
        CheckCalls.Queue(session, $"{FunctionName}(?, ?, ?, ?, ?, ?)",
            session.TenantId, ordered.Select(t => t.Id).ToArray(), ordered.Select(t => t.UserId).ToArray(), ordered.Select(t => t.Email).ToArray(),
            EventNameCatalog.StreamKey, catalogVersion);
    }
}
