// DOM building. Every value from the store becomes a text node or an attribute value, never markup: nothing here
// parses HTML, so an event name or a metadata value holding "<script>" shows as those characters.

/** h('a', { href, class: 'x', onclick }, 'text', child): an element; strings become text nodes. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'href') element.setAttribute('href', safeHref(value));
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Only http(s) and our own relative links: a javascript: or data: URL from the store never becomes a link. */
export function safeHref(value) {
  const text = String(value);
  if (text.startsWith('#') || text.startsWith('/')) return text;
  return isWebUrl(text) ? text : '#';
}

export function isWebUrl(text) {
  if (typeof text !== 'string' || !/^https?:\/\//i.test(text)) return false;
  try { const url = new URL(text); return url.protocol === 'http:' || url.protocol === 'https:'; } catch { return false; }
}

/** A link to another site: new tab, no opener, no referrer. */
export function externalLink(url, text) {
  return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer nofollow', class: 'external' }, text ?? url);
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** Says something to screen readers (and tests) without moving focus. */
export function announce(message) {
  const status = document.getElementById('status');
  status.textContent = '';
  setTimeout(() => { status.textContent = message; }, 20);
}

export function alertBox(message, kind = 'error') {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
}

let fieldIds = 0;

/** A labelled form control: label, control, optional hint tied by aria-describedby. */
export function field(label, control, hint) {
  const id = control.id || `field-${++fieldIds}`;
  control.id = id;
  const hintElement = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintElement) control.setAttribute('aria-describedby', hintElement.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintElement);
}

export function table(caption, headers, rows, { empty = 'Nothing yet.' } = {}) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  // A region (scrollable with the keyboard at phone width) named apart from the section around it.
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': `${caption}, table`, tabindex: '0' },
    h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map(header => h('th', { scope: 'col' }, header)))),
      h('tbody', {}, rows.map(cells => h('tr', {}, cells.map(cell => h('td', {}, cell)))))));
}

export function button(text, onclick, attributes = {}) {
  return h('button', { type: 'button', onclick, ...attributes }, text);
}
