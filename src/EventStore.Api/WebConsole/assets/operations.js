// Operations (operator token): health, projections and their lag, rebuilds with live progress, access tokens.
import { api } from './api.js';
import { h, replace, alertBox, field, table, button, announce } from './view.js';
import { number, time } from './format.js';

export const pollMilliseconds = 500;

export async function render(content) {
  const health = h('section', { class: 'card', 'aria-labelledby': 'health-title' });
  const projections = h('section', { class: 'card', 'aria-labelledby': 'projections-title' });
  const rebuilds = h('section', { class: 'card', 'aria-labelledby': 'rebuilds-title' });
  const tokens = h('section', { class: 'card', 'aria-labelledby': 'tokens-title' });
  content.append(health, projections, rebuilds, tokens);
  let stopped = false;
  const refresh = async () => { await Promise.all([drawProjections(projections), drawJobs(rebuilds)]); };
  await Promise.all([drawHealth(health), drawProjections(projections, () => stopped, refresh), drawJobs(rebuilds), drawTokens(tokens)]);
  return () => { stopped = true; };
}

async function drawHealth(section) {
  const response = await fetch('/health/ready', { cache: 'no-store', credentials: 'omit' });
  const text = await response.text();
  const state = response.ok ? (text === 'Healthy' ? 'healthy' : 'degraded') : 'unhealthy';
  replace(section, h('h2', { id: 'health-title' }, 'Health'),
    h('p', {}, h('span', { class: `badge ${state}` }, text || response.statusText),
      ` PostgreSQL and the event store schema (GET /health/ready answered ${response.status}).`));
}

let projectionNames = [];

async function drawProjections(section, stopped, refresh) {
  const list = (await api('/admin/projections')).data;
  projectionNames = list.map(p => p.name);
  const rows = list.map(p => [p.name, p.description, h('span', { class: `badge ${p.state}` }, p.state),
    String(p.version), number(p.position), `${number(p.lag.events)} events, ${p.lag.seconds} s`,
    p.last_rebuild ? [p.last_rebuild.state, ' ', time(p.last_rebuild.finished_at ?? p.last_rebuild.started_at)] : '—']);
  const existing = section.querySelector('form');
  replace(section, h('h2', { id: 'projections-title' }, 'Projections'),
    table('Projections', ['Name', 'What', 'State', 'Version', 'Position', 'Lag', 'Last rebuild'], rows),
    existing ?? rebuildForm(stopped, refresh));
}

function rebuildForm(stopped, refresh) {
  const projection = h('select', { name: 'projection' }, h('option', { value: 'all' }, 'all projections'), projectionNames.map(n => h('option', { value: n }, n)));
  const workspace = h('input', { type: 'text', name: 'workspace', autocomplete: 'off', pattern: '[a-z0-9_\\-]{1,64}' });
  const progress = h('div', { class: 'rebuild-progress', 'aria-live': 'polite' });
  const start = h('button', { type: 'submit' }, 'Start rebuild');
  const form = h('form', { class: 'rebuild', 'aria-label': 'Start a rebuild' },
    h('h3', {}, 'Rebuild'), field('Projection', projection), field('Workspace', workspace, 'Leave empty for every workspace.'), start, progress);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    start.disabled = true;
    const query = workspace.value.trim() ? `?${new URLSearchParams({ workspace: workspace.value.trim() })}` : '';
    try {
      let job = await api(`/admin/projections/${encodeURIComponent(projection.value)}/rebuild${query}`, { method: 'POST' });
      announce(`Rebuild of ${job.projection} started`);
      while (job.state === 'running' && !stopped()) {
        drawProgress(progress, job);
        await new Promise(resolve => setTimeout(resolve, pollMilliseconds));
        job = await api(`/admin/projections/rebuilds/${job.id}`);
      }
      drawProgress(progress, job);
      announce(`Rebuild ${job.state}`);
      if (!stopped()) await refresh();
    } catch (error) {
      replace(progress, alertBox(error.message));
    } finally {
      start.disabled = false;
    }
  });
  return form;
}

function drawProgress(section, job) {
  const done = job.state === 'succeeded';
  const max = Math.max(1, job.events_total);
  const value = done ? max : Math.min(job.events_done, max);
  const eta = job.eta_seconds === null || job.eta_seconds === undefined ? '' : `, about ${number(job.eta_seconds)} s left`;
  replace(section,
    h('label', { for: 'rebuild-bar' }, `${job.projection}: ${job.phase}`),
    h('progress', { id: 'rebuild-bar', max, value, 'data-state': job.state }, `${Math.round((100 * value) / max)}%`),
    h('p', { class: 'rebuild-figures' }, done ? `Done: ${number(job.events_done)} events, rebuilt.`
      : job.state === 'running' ? `${number(job.events_done)} of ${number(job.events_total)} events, ${number(job.events_per_second)} events/s${eta}`
        : `${job.state}: ${job.error?.message ?? ''}`));
}

async function drawJobs(section) {
  const jobs = (await api('/admin/projections/rebuilds?per_page=10')).data;
  replace(section, h('h2', { id: 'rebuilds-title' }, 'Recent rebuilds'),
    table('Recent rebuilds', ['Projection', 'Workspace', 'State', 'Events', 'Started', 'Finished', 'From'],
      jobs.map(j => [j.projection, j.workspace ?? 'all', h('span', { class: `badge ${j.state}` }, j.state), number(j.events_done),
        time(j.started_at), time(j.finished_at), j.origin]), { empty: 'No rebuild yet.' }));
}

async function drawTokens(section) {
  const tokens = (await api('/admin/tokens')).access_tokens;
  const revoke = token => button('Revoke', () => confirmRevoke(section, token), { 'aria-label': `Revoke ${token.name || token.id}` });
  replace(section, h('h2', { id: 'tokens-title' }, 'Access tokens'),
    table('Issued access tokens', ['Name', 'Workspace', 'Scopes', 'Id', 'Created', 'Action'],
      tokens.map(t => [t.name || '—', t.workspace, t.scopes.join(', '), h('code', {}, t.id), time(t.created_at), revoke(t)]),
      { empty: 'No token has been issued (tokens in configuration are not listed).' }),
    createForm(section));
}

function createForm(section) {
  const workspace = h('input', { type: 'text', name: 'workspace', required: true, autocomplete: 'off' });
  const name = h('input', { type: 'text', name: 'name', maxlength: '100', autocomplete: 'off' });
  const scopes = ['events:read', 'events:write', 'users:erase'].map(scope =>
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'scopes', value: scope, checked: scope === 'events:read' }), scope));
  const feedback = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'create-token', 'aria-label': 'Create a token' }, h('h3', {}, 'Create a token'),
    field('Workspace', workspace), field('Name', name, 'What the token is for, e.g. "billing export".'),
    h('fieldset', {}, h('legend', {}, 'Scopes'), scopes), h('button', { type: 'submit' }, 'Create token'), feedback);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      const created = await api('/admin/tokens', { method: 'POST', body: {
        workspace: workspace.value.trim(), name: name.value, scopes: scopes.map(l => l.firstChild).filter(c => c.checked).map(c => c.value) } });
      await drawTokens(section);
      const secret = h('input', { type: 'text', readonly: true, value: created.token, class: 'secret', id: 'new-token-secret' });
      const copy = button('Copy', async () => { await navigator.clipboard.writeText(created.token); announce('Token copied'); copy.textContent = 'Copied'; });
      section.append(h('div', { class: 'notice success', role: 'status' },
        h('p', {}, h('strong', {}, `Token “${created.name || created.id}” created for ${created.workspace}. `), 'Copy it now: it is shown only once.'),
        h('label', { for: 'new-token-secret' }, 'Secret'), h('div', { class: 'copy-row' }, secret, copy)));
      secret.focus();
      secret.select();
    } catch (error) {
      replace(feedback, alertBox(error.message));
    }
  });
  return form;
}

function confirmRevoke(section, token) {
  const dialog = h('dialog', { 'aria-labelledby': 'revoke-title' },
    h('h2', { id: 'revoke-title' }, 'Revoke this token?'),
    h('p', {}, `“${token.name || token.id}” (${token.workspace}) stops working at once, on every node.`),
    h('form', { method: 'dialog', class: 'actions' },
      h('button', { value: 'cancel' }, 'Cancel'), h('button', { value: 'revoke', class: 'danger' }, 'Revoke')));
  dialog.addEventListener('close', async () => {
    dialog.remove();
    if (dialog.returnValue !== 'revoke') return;
    try {
      await api(`/admin/tokens/${encodeURIComponent(token.id)}`, { method: 'DELETE' });
      announce(`Token ${token.name || token.id} revoked`);
      await drawTokens(section);
    } catch (error) {
      section.append(alertBox(error.message));
    }
  });
  document.body.append(dialog);
  dialog.showModal();
}
