// Users: find one by user_id, email or Intercom id; identity, summary, and the timeline (older pages load as you
// scroll; new events appear as they arrive, by polling pages.since).
import { api, pathOf } from './api.js';
import { h, replace, alertBox, field, table, announce, button } from './view.js';
import { number, time, metadataList } from './format.js';

const kinds = { user_id: 'user_id', email: 'email', intercom_user_id: 'Intercom id' };
export const pollMilliseconds = 2000;

function withPerPage(path, perPage) {
  const url = new URL(path, location.origin);
  url.searchParams.set('per_page', String(perPage));
  return url.pathname + url.search;
}

export async function render(content, { params }) {
  const by = kinds[params.get('by')] ? params.get('by') : 'user_id';
  const value = params.get('value') ?? '';
  const select = h('select', { name: 'by' }, Object.entries(kinds).map(([key, label]) => h('option', { value: key, selected: key === by }, label)));
  const input = h('input', { type: 'search', name: 'value', value, required: true, autocomplete: 'off' });
  const form = h('form', { class: 'find card', role: 'search', 'aria-label': 'Find a user' },
    field('Find by', select), field('Value', input), h('button', { type: 'submit' }, 'Find'));
  form.addEventListener('submit', event => {
    event.preventDefault();
    location.hash = `#/users?${new URLSearchParams({ by: select.value, value: input.value.trim() })}`;
  });
  content.append(form);
  if (!value) {
    input.focus();
    return undefined;
  }

  const query = `type=user&${new URLSearchParams({ [by]: value })}`;
  let summary;
  try {
    summary = await api(`/events?${query}&summary=true`);
  } catch (error) {
    content.append(alertBox(error.status === 404 ? `No user has the ${kinds[by]} “${value}”.` : error.message));
    return undefined;
  }

  const summarySection = h('section', { class: 'card', 'aria-labelledby': 'summary-title' });
  const drawSummary = s => replace(summarySection, h('h2', { id: 'summary-title' }, 'Summary'),
    table('Events by name', ['Event', 'Count', 'First', 'Last', 'Description'],
      s.events.map(e => [e.name, number(e.count), time(e.first), time(e.last), e.description ?? '']), { empty: 'No events.' }));
  drawSummary(summary);

  const list = h('ol', { class: 'timeline', 'aria-label': 'Events, newest first' });
  const more = button('Load older events', () => loadOlder());
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  const seen = new Set();
  let next = null, since = null, loading = false, stopped = false, timer = 0;

  const entry = (event, fresh) => {
    seen.add(event.id);
    return h('li', { class: fresh ? 'event new' : 'event', 'data-event-id': event.id },
      h('div', { class: 'event-head' }, h('span', { class: 'event-name' }, event.event_name), time(event.created_at)),
      metadataList(event.metadata));
  };

  async function loadOlder() {
    if (!next || loading) return;
    loading = true;
    more.disabled = true;
    try {
      const page = await api(next);
      list.append(...page.events.filter(e => !seen.has(e.id)).map(e => entry(e, false)));
      next = page.pages.next ? pathOf(page.pages.next) : null;
    } finally {
      loading = false;
      more.disabled = false;
      more.hidden = !next;
    }
  }

  async function poll() {
    if (stopped) return;
    try {
      const page = await api(since);
      const fresh = page.events.filter(e => !seen.has(e.id)).sort((a, b) => b.created_at - a.created_at);
      if (fresh.length > 0) {
        list.prepend(...fresh.map(e => entry(e, true)));
        announce(`${fresh.length} new ${fresh.length === 1 ? 'event' : 'events'}`);
        drawSummary(await api(`/events?${query}&summary=true`));
      }
      since = pathOf(page.pages.since);
    } catch (error) {
      if (error.status === 401) return;
    }
    if (!stopped) timer = setTimeout(poll, pollMilliseconds);
  }

  const first = await api(`/events?${query}&per_page=25`);
  list.append(...first.events.map(e => entry(e, false)));
  next = first.pages.next ? pathOf(first.pages.next) : null;
  since = withPerPage(pathOf(first.pages.since), 100);
  more.hidden = !next;

  content.append(
    h('section', { class: 'card', 'aria-labelledby': 'identity-title' }, h('h2', { id: 'identity-title' }, 'Identity'),
      h('dl', { class: 'identity' },
        h('dt', {}, 'user_id'), h('dd', {}, summary.user_id ?? '—'),
        h('dt', {}, 'email'), h('dd', {}, summary.email ?? '—'),
        h('dt', {}, 'Intercom id'), h('dd', {}, h('code', {}, summary.intercom_user_id)))),
    summarySection,
    h('section', { class: 'card', 'aria-labelledby': 'timeline-title' },
      h('h2', { id: 'timeline-title' }, 'Timeline'), h('p', { class: 'hint' }, 'New events appear here as they arrive.'),
      list, sentinel, more));

  const observer = new IntersectionObserver(entries => { if (entries.some(e => e.isIntersecting)) loadOlder(); });
  observer.observe(sentinel);
  timer = setTimeout(poll, pollMilliseconds);
  return () => { stopped = true; clearTimeout(timer); observer.disconnect(); };
}
