// Overview: the workspace's totals and its events per hour (last 24 hours) and per day (last 30 days).
import { api } from './api.js';
import { h } from './view.js';
import { number } from './format.js';
import { activityChart } from './chart.js';

const hourLabel = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

export async function render(content) {
  const [workspace, hours, days] = await Promise.all([
    api('/workspace'), api('/events/activity?interval=hour'), api('/events/activity?interval=day')]);
  const figure = (label, value) => h('div', { class: 'figure card' }, h('span', { class: 'figure-value' }, number(value)), h('span', { class: 'figure-label' }, label));
  content.append(
    h('section', { 'aria-label': 'Totals', class: 'figures' },
      figure('users', workspace.users),
      figure('events tracked', workspace.events),
      figure(`active event names (of ${number(workspace.active_event_name_cap)})`, workspace.active_event_names),
      figure('archived event names', workspace.archived_event_names)),
    h('section', { class: 'card' }, activityChart('Events per hour, last 24 hours', hours, s => hourLabel.format(new Date(s * 1000)))),
    h('section', { class: 'card' }, activityChart('Events per day (UTC), last 30 days', days, s => dayLabel.format(new Date(s * 1000)))));
}
