namespace EventStore.Benchmarks.Load;

/// <summary>The wrk scripts of each scenario.</summary>
internal static class WrkScripts
{
    /// <summary>POST /events, one distinct event per request.</summary>
    public static WrkScript SingleEvents(string token, long phaseBase, int users) => new(
        """
        function request()
          return wrk.format("POST", "/events", json_headers, event_json(next_seq()))
        end
        """,
        EventConfig(token, phaseBase, users, countBulkResults: false));

    /// <summary>POST /events/bulk, a JSON array of distinct events per request.</summary>
    public static WrkScript BulkEvents(string token, long phaseBase, int users, int eventsPerRequest)
    {
        var config = EventConfig(token, phaseBase, users, countBulkResults: true);
        config["bulk_size"] = eventsPerRequest;
        return new WrkScript(
            """
            function request()
              local events = {}
              for i = 1, config.bulk_size do
                events[i] = event_json(next_seq())
              end
              return wrk.format("POST", "/events/bulk", json_headers, "[" .. table.concat(events, ",") .. "]")
            end
            """,
            config);
    }

    /// <summary>The same GET on every request.</summary>
    public static WrkScript Get(string token, string pathAndQuery) => new(
        """
        local prepared = nil
        function request()
          if prepared == nil then
            prepared = wrk.format("GET", config.path, get_headers)
          end
          return prepared
        end
        """,
        ReadConfig(token, new() { ["path"] = pathAndQuery }));

    /// <summary>A GET for a random one of <paramref name="users"/> users, <c>{prefix}{n}{suffix}</c>.</summary>
    public static WrkScript GetForRandomUser(string token, string prefix, int users, string suffix) => new(
        """
        local seeded = false
        function request()
          if not seeded then
            math.randomseed(1000 + thread_index)
            seeded = true
          end
          return wrk.format("GET", config.path_prefix .. math.random(0, config.users - 1) .. config.path_suffix, get_headers)
        end
        """,
        ReadConfig(token, new() { ["path_prefix"] = prefix, ["users"] = users, ["path_suffix"] = suffix }));

    /// <summary>The same JSON POST on every request.</summary>
    public static WrkScript Post(string token, string path, string jsonBody) => new(
        """
        local prepared = nil
        function request()
          if prepared == nil then
            prepared = wrk.format("POST", config.path, json_headers, config.body)
          end
          return prepared
        end
        """,
        ReadConfig(token, new() { ["path"] = path, ["body"] = jsonBody }));

    private static Dictionary<string, object> EventConfig(string token, long phaseBase, int users, bool countBulkResults) => new()
    {
        ["token"] = token,
        ["base"] = phaseBase,
        ["users"] = users,
        ["names"] = SyntheticEvents.Names,
        ["count_bulk_results"] = countBulkResults ? 1 : 0,
    };

    private static Dictionary<string, object> ReadConfig(string token, Dictionary<string, object> values)
    {
        values["token"] = token;
        values["count_bulk_results"] = 0;
        values.TryAdd("users", 1);
        values["base"] = 0;
        values["names"] = SyntheticEvents.Names;
        return values;
    }
}
