using ScottPlot;

namespace EventStore.Benchmarks.Reporting;

/// <summary>
/// docs/benchmarks.png: throughput (left) and p99 latency (right) against concurrency for baseline A, POST /events,
/// POST /events/bulk and baseline B. Concurrency is on a log2 axis, throughput and latency on log10 axes.
/// </summary>
internal static class ThroughputChart
{
    public static void Save(BenchmarkResults results, string path)
    {
        var points = results.Ingest;
        var x = points.Select(p => Math.Log2(p.Concurrency)).ToArray();
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var throughput = multiplot.GetPlot(0);
        var latency = multiplot.GetPlot(1);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();

        Add(throughput, x, "baseline A (1 row/INSERT)", points.Select(p => (double?)p.BaselineA.RowsPerSecond));
        Add(throughput, x, "POST /events", points.Select(p => p.SingleAcceptedPerSecond));
        Add(throughput, x, "baseline B (500 rows/INSERT)", points.Select(p => (double?)p.BaselineB.RowsPerSecond));
        Add(throughput, x, "POST /events/bulk (500 events)", points.Select(p => p.BulkAcceptedEventsPerSecond));
        Add(latency, x, "baseline A (1 row/INSERT)", points.Select(p => (double?)p.BaselineA.P99Milliseconds));
        Add(latency, x, "POST /events", points.Select(p => p.SingleEvents?.P99Milliseconds));
        Add(latency, x, "baseline B (500 rows/INSERT)", points.Select(p => (double?)p.BaselineB.P99Milliseconds));
        Add(latency, x, "POST /events/bulk (500 events)", points.Select(p => p.BulkEvents?.P99Milliseconds));

        Style(throughput, x, points, "Throughput (rows or events/s, log scale)", "events/s");
        Style(latency, x, points, "p99 latency per request or statement (ms, log scale)", "ms");
        multiplot.SavePng(path, 1600, 700);
    }

    private static void Add(Plot plot, double[] x, string label, IEnumerable<double?> values)
    {
        var measured = x.Zip(values).Where(p => p.Second is > 0).ToArray();
        if (measured.Length == 0)
        {
            return;
        }

        var scatter = plot.Add.Scatter(measured.Select(p => p.First).ToArray(), measured.Select(p => Math.Log10(p.Second!.Value)).ToArray());
        scatter.LegendText = label;
        scatter.MarkerSize = 8;
        scatter.LineWidth = 2;
    }

    private static void Style(Plot plot, double[] x, List<IngestPoint> points, string title, string unit)
    {
        plot.Title(title);
        plot.XLabel("concurrency (connections)");
        plot.YLabel(unit);
        plot.Axes.Bottom.SetTicks(x, points.Select(p => p.Concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        var decades = Enumerable.Range(-2, 9).Select(d => (double)d).ToArray();
        plot.Axes.Left.SetTicks(decades, decades.Select(d => Math.Pow(10, d).ToString("G6", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.AutoScale();
        plot.ShowLegend(Edge.Bottom);
    }
}
