// The service's JSON API with the signed-in token. The token lives in sessionStorage: this tab only, never a
// cookie, a URL or a log line; it is sent only in the Authorization header.
const tokenKey = 'eventstore.console.token';

export const session = {
  get token() { return sessionStorage.getItem(tokenKey); },
  start(token) { sessionStorage.setItem(tokenKey, token); },
  end() { sessionStorage.removeItem(tokenKey); },
};

/** An answer other than 2xx, carrying the error.list's messages. */
export class ApiError extends Error {
  constructor(status, body) {
    const errors = Array.isArray(body?.errors) ? body.errors : [];
    super(errors.map(e => e.field ? `${e.field}: ${e.message}` : e.message).join('; ') || `The service answered ${status}`);
    this.status = status;
    this.errors = errors;
  }
}

let onSignedOut = () => {};

/** Called when the service stops accepting the token (revoked meanwhile): the console signs out. */
export function whenTokenRefused(callback) { onSignedOut = callback; }

/** A path of our own from an absolute link the API returned (pages.next, pages.since). */
export function pathOf(link) {
  const url = new URL(link, location.origin);
  return url.pathname + url.search;
}

export async function api(path, { method = 'GET', body, token = session.token } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit',
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    const error = new ApiError(response.status, json);
    if (response.status === 401 && token === session.token && session.token) onSignedOut(error);
    throw error;
  }
  return json;
}

/** Every page of a list that pages with pages.next links. */
export async function all(path, key) {
  const items = [];
  for (let next = path; next;) {
    const page = await api(next);
    items.push(...page[key]);
    next = page.pages?.next ? pathOf(page.pages.next) : null;
  }
  return items;
}
