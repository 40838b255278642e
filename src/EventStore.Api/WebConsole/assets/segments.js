// Segments: the event names (counts, description, archive / unarchive) and a segment builder over them
// (conditions on count, first and last, combined with and / or / not): total, members page by page, CSV.
import { api, all } from './api.js';
import { h, replace, alertBox, field, table, button, announce } from './view.js';
import { number, time } from './format.js';

const pageSize = 25;
const countOps = { '': 'any number of times', count_gt: 'more than', count_lt: 'fewer than', count_eq: 'exactly', count_ne: 'not exactly' };
const dayOps = { '': 'any time', more_than_days_ago: 'more than … days ago', less_than_days_ago: 'less than … days ago' };

export async function render(content) {
  const names = h('section', { class: 'card', 'aria-labelledby': 'names-title' });
  const builder = h('section', { class: 'card', 'aria-labelledby': 'builder-title' });
  content.append(names, builder);
  const catalog = await drawNames(names);
  drawBuilder(builder, catalog.map(n => n.name));
}

async function drawNames(section) {
  const catalog = await all('/event-names?per_page=100', 'event_names');
  const toggle = entry => button(entry.archived ? 'Unarchive' : 'Archive', async event => {
    event.target.disabled = true;
    try {
      await api(`/event-names/${encodeURIComponent(entry.name)}/${entry.archived ? 'unarchive' : 'archive'}`, { method: 'POST' });
      announce(`${entry.name} ${entry.archived ? 'unarchived' : 'archived'}`);
      await drawNames(section);
      section.querySelector(`[data-name="${CSS.escape(entry.name)}"]`)?.focus();
    } catch (error) {
      section.append(alertBox(error.message));
      event.target.disabled = false;
    }
  }, { 'data-name': entry.name, 'aria-label': `${entry.archived ? 'Unarchive' : 'Archive'} ${entry.name}` });
  replace(section, h('h2', { id: 'names-title' }, 'Event names'),
    table('Event names', ['Name', 'Description', 'Users', 'Events', 'First', 'Last', 'Status', 'Action'],
      catalog.map(entry => [h('span', { class: 'event-name' }, entry.name), entry.description ?? '', number(entry.user_count), number(entry.event_count),
        time(entry.first), time(entry.last), entry.archived ? 'archived' : 'active', toggle(entry)]),
      { empty: 'No event has been tracked yet.' }));
  return catalog;
}

function drawBuilder(section, names) {
  const combine = h('select', { name: 'combine' }, h('option', { value: 'and' }, 'all of these'), h('option', { value: 'or' }, 'any of these'));
  const rows = h('ol', { class: 'conditions' });
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const addRow = () => { rows.append(conditionRow(names, rows)); renumber(rows); };
  addRow();
  const form = h('form', { class: 'builder', 'aria-labelledby': 'builder-title' },
    field('Users who match', combine), rows,
    h('div', { class: 'actions' },
      button('Add a condition', () => { addRow(); rows.lastElementChild.querySelector('select').focus(); }),
      h('button', { type: 'submit' }, 'Show members'),
      button('Download CSV', () => download(query(combine.value, rows), results))));
  form.addEventListener('submit', event => {
    event.preventDefault();
    showPage(query(combine.value, rows), null, [], results);
  });
  replace(section, h('h2', { id: 'builder-title' }, 'Segment builder'), form, results);
}

function conditionRow(names, rows) {
  const negated = h('select', { name: 'did' }, h('option', { value: 'did' }, 'did'), h('option', { value: 'not' }, 'did not do'));
  const name = h('select', { name: 'event_name', required: true }, names.map(n => h('option', { value: n }, n)));
  const countOp = h('select', { name: 'count_op' }, Object.entries(countOps).map(([v, t]) => h('option', { value: v }, t)));
  const count = h('input', { type: 'number', name: 'count', min: '0', step: '1', inputmode: 'numeric' });
  const firstOp = h('select', { name: 'first_op' }, Object.entries(dayOps).map(([v, t]) => h('option', { value: v }, t)));
  const firstDays = h('input', { type: 'number', name: 'first_days', min: '0', step: '1', inputmode: 'numeric' });
  const lastOp = h('select', { name: 'last_op' }, Object.entries(dayOps).map(([v, t]) => h('option', { value: v }, t)));
  const lastDays = h('input', { type: 'number', name: 'last_days', min: '0', step: '1', inputmode: 'numeric' });
  const row = h('li', { class: 'condition' },
    h('fieldset', {}, h('legend', {}, 'Condition'),
      field('Users who', negated), field('Event', name),
      h('div', { class: 'pair' }, field('Times', countOp), field('Count', count)),
      h('div', { class: 'pair' }, field('First time', firstOp), field('Days (first)', firstDays)),
      h('div', { class: 'pair' }, field('Last time', lastOp), field('Days (last)', lastDays)),
      button('Remove', () => { if (rows.children.length > 1) { row.remove(); renumber(rows); rows.querySelector('select')?.focus(); } }, { class: 'secondary' })));
  row.condition = () => {
    const condition = { event_name: name.value };
    if (countOp.value) condition[countOp.value] = Number(count.value || 0);
    if (firstOp.value) condition[`first_${firstOp.value}`] = Number(firstDays.value || 0);
    if (lastOp.value) condition[`last_${lastOp.value}`] = Number(lastDays.value || 0);
    return negated.value === 'not' ? { not: condition } : condition;
  };
  return row;
}

function renumber(rows) {
  [...rows.children].forEach((row, i) => { row.querySelector('legend').textContent = `Condition ${i + 1}`; });
}

function query(combine, rows) {
  const conditions = [...rows.children].map(row => row.condition());
  return conditions.length === 1 ? conditions[0] : { [combine]: conditions };
}

async function showPage(q, cursor, previous, results) {
  replace(results, h('p', { class: 'hint' }, 'Searching…'));
  let page;
  try {
    page = await api('/segments/search', { method: 'POST', body: { query: q, per_page: pageSize, ...(cursor ? { starting_after: cursor } : {}) } });
  } catch (error) {
    replace(results, alertBox(error.message));
    return;
  }
  const nextCursor = page.pages.next?.starting_after;
  replace(results,
    h('p', { class: 'total' }, h('strong', {}, number(page.total_count)), page.total_count === 1 ? ' user matches' : ' users match'),
    table('Members', ['user_id', 'email', 'Intercom id'], page.users.map(u => [u.user_id ?? '—', u.email ?? '—',
      h('a', { href: `#/users?${new URLSearchParams({ by: 'intercom_user_id', value: u.intercom_user_id })}` }, u.intercom_user_id)]),
      { empty: 'Nobody matches.' }),
    h('div', { class: 'actions' },
      button('Previous page', () => showPage(q, previous.at(-1) ?? null, previous.slice(0, -1), results), { disabled: previous.length === 0 && !cursor }),
      button('Next page', () => showPage(q, nextCursor, [...previous, cursor], results), { disabled: !nextCursor })));
}

const csvCell = value => {
  let text = value ?? '';
  // A cell a spreadsheet would take for a formula is kept as text (OWASP's CSV injection advice).
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

async function download(q, results) {
  announce('Preparing the CSV…');
  const lines = ['intercom_user_id,user_id,email'];
  try {
    for (let cursor = null, first = true; first || cursor; first = false) {
      const page = await api('/segments/search', { method: 'POST', body: { query: q, per_page: 100, ...(cursor ? { starting_after: cursor } : {}) } });
      lines.push(...page.users.map(u => [u.intercom_user_id, u.user_id, u.email].map(csvCell).join(',')));
      cursor = page.pages.next?.starting_after ?? null;
    }
  } catch (error) {
    results.append(alertBox(error.message));
    return;
  }
  const url = URL.createObjectURL(new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' }));
  const link = h('a', { href: '#', download: 'segment.csv' });
  link.href = url;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  announce(`Downloaded ${lines.length - 1} users`);
}
