// The console: sign-in, navigation and the pages, in the browser, over the service's public JSON API.
import { api, session, whenTokenRefused } from './api.js';
import { h, replace, alertBox, field, announce } from './view.js';
import * as overview from './overview.js';
import * as users from './users.js';
import * as segments from './segments.js';
import * as operations from './operations.js';

const pages = {
  overview: { title: 'Overview', module: overview, workspace: true },
  users: { title: 'Users', module: users, workspace: true },
  segments: { title: 'Segments', module: segments, workspace: true },
  operations: { title: 'Operations', module: operations, operator: true },
};

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let me = null;
let leave = () => {};

function route() {
  const [name, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { name, params: new URLSearchParams(query) };
}

function allowed(page) { return page && (page.operator ? me.operator : Boolean(me.workspace)); }

let shown = 0;

async function show() {
  const generation = ++shown;
  leave();
  leave = () => {};
  if (!session.token) return signIn();
  if (!me) {
    try { me = await api('/me'); } catch (error) { return signIn(error.status === 401 ? refusedMessage : error.message); }
  }
  const { name, params } = route();
  const page = pages[name];
  if (!allowed(page)) {
    location.replace(`#/${me.operator ? 'operations' : 'overview'}`);
    return;
  }
  main.setAttribute('aria-busy', 'true');
  layout(name);
  document.title = `${page.title} · Event store console`;
  const content = h('div', { class: 'page' });
  replace(main, h('h1', {}, page.title), content);
  main.focus({ preventScroll: true });
  try {
    const cleanup = (await page.module.render(content, { me, params })) ?? (() => {});
    // Another page was shown while this one loaded: stop this one's polling at once.
    if (generation === shown) leave = cleanup; else cleanup();
  } catch (error) {
    content.append(alertBox(`This page could not be loaded: ${error.message}`));
  }
  if (generation === shown) main.setAttribute('aria-busy', 'false');
}

function layout(current) {
  nav.hidden = false;
  replace(nav, h('ul', {}, Object.entries(pages).filter(([, page]) => allowed(page)).map(([name, page]) =>
    h('li', {}, h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : undefined }, page.title))),
    h('li', {}, h('a', { href: '/scalar/v1', target: '_blank', rel: 'noopener' }, 'API reference'))));
  replace(who, me.operator ? 'Operator' : `Workspace ${me.workspace}`, ' ',
    h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'));
}

const refusedMessage = 'That token was not accepted: it is wrong, or it has been revoked.';

function signIn(message) {
  me = null;
  session.end();
  nav.hidden = true;
  replace(nav);
  replace(who);
  document.title = 'Sign in · Event store console';
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true });
  const feedback = h('div', { class: 'feedback' }, message ? alertBox(message) : null);
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'sign-in card', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    h('p', {}, 'Use a workspace token to explore a workspace, or an operator token for operations. ',
      'The token is kept in this browser tab only, until you sign out or close the tab.'),
    field('Access token', input), feedback, submit);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    submit.disabled = true;
    replace(feedback);
    try {
      const token = input.value.trim();
      me = await api('/me', { token });
      session.start(token);
      const home = me.operator ? '#/operations' : '#/overview';
      if (location.hash === home) await show(); else location.hash = home;
    } catch (error) {
      replace(feedback, alertBox(error.status === 401 ? refusedMessage : `Could not sign in: ${error.message}`));
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, form);
  input.focus();
}

function signOut() {
  leave();
  leave = () => {};
  signIn();
  announce('Signed out');
}

whenTokenRefused(() => { leave(); leave = () => {}; signIn(refusedMessage); });
window.addEventListener('hashchange', show);
show();
