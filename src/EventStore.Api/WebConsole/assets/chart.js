// A stacked bar chart in plain SVG (no library): one bar per bucket, one colour per event name, the top names
// named and the rest as "other". A table of the same figures follows for screen readers and exact values.
import { h, table } from './view.js';
import { number } from './format.js';

const svgNs = 'http://www.w3.org/2000/svg';
const shownNames = 7;

function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** activity: the answer of GET /events/activity; label: how to name a bucket start (Unix seconds). */
export function activityChart(title, activity, label) {
  const named = activity.event_names.slice(0, shownNames);
  const rest = activity.event_names.slice(shownNames);
  const series = rest.length === 0 ? named : [...named, {
    name: `other (${rest.length})`, other: true,
    total: rest.reduce((sum, r) => sum + r.total, 0),
    counts: activity.buckets.map((_, i) => rest.reduce((sum, r) => sum + r.counts[i], 0)),
  }];
  const totals = activity.buckets.map((_, i) => series.reduce((sum, r) => sum + r.counts[i], 0));
  const max = Math.max(1, ...totals);
  const width = 720, height = 220, left = 44, bottom = 28, top = 8;
  const slot = (width - left) / activity.buckets.length;
  const scale = (height - bottom - top) / max;

  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': `${title}: ${number(activity.total)} events` });
  for (const fraction of [0, 0.5, 1]) {
    const y = height - bottom - fraction * max * scale;
    svg.append(s('line', { x1: left, x2: width, y1: y, y2: y, class: 'grid' }));
    svg.append(s('text', { x: left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, number(Math.round(fraction * max))));
  }
  const every = Math.ceil(activity.buckets.length / 8);
  activity.buckets.forEach((bucket, i) => {
    let y = height - bottom;
    series.forEach((serie, index) => {
      const count = serie.counts[i];
      if (!count) return;
      const barHeight = Math.max(1, count * scale);
      y -= barHeight;
      svg.append(s('rect', { x: left + i * slot + 2, y, width: Math.max(1, slot - 4), height: barHeight, class: serie.other ? 'series-other' : `series-${index}` },
        s('title', {}, `${label(bucket)} · ${serie.name}: ${number(count)}`)));
    });
    if (i % every === 0) svg.append(s('text', { x: left + i * slot + slot / 2, y: height - 8, class: 'axis', 'text-anchor': 'middle' }, label(bucket)));
  });

  const legend = h('ul', { class: 'legend' }, series.map((serie, index) =>
    h('li', {}, h('span', { class: `swatch ${serie.other ? 'series-other' : `series-${index}`}`, 'aria-hidden': 'true' }), `${serie.name} (${number(serie.total)})`)));
  const data = h('details', { class: 'chart-data' }, h('summary', {}, `${title} as a table`),
    table(title, ['Name', ...activity.buckets.map(label), 'Total'],
      activity.event_names.map(r => [r.name, ...r.counts.map(number), number(r.total)]), { empty: 'No events in this period.' }));
  return h('figure', { class: 'chart-figure' }, h('figcaption', {}, title), activity.total === 0 ? h('p', { class: 'empty' }, 'No events in this period.') : [svg, legend], data);
}
