// Values as people read them, in the browser's language and time zone.
import { h, externalLink, isWebUrl } from './view.js';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const numberFormat = new Intl.NumberFormat();

export const number = value => numberFormat.format(value);

/** A <time> for Unix seconds or an ISO-8601 string. */
export function time(value) {
  if (value === null || value === undefined) return '—';
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, dateTime.format(date));
}

/** Money: the amount is in the currency's minor unit (cents), as Intercom sends it. */
export function money(amount, currency) {
  try {
    const format = new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() });
    const digits = format.resolvedOptions().maximumFractionDigits;
    return h('data', { value: `${amount} ${currency}`, class: 'money' }, format.format(amount / 10 ** digits));
  } catch {
    return `${amount} ${currency}`;
  }
}

/** A metadata value rendered as what it is (Intercom's six types), always as text or a safe link. */
export function metadataValue(key, value) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if ('amount' in value && 'currency' in value) return money(value.amount, String(value.currency));
    if ('url' in value && 'value' in value) return isWebUrl(value.url) ? externalLink(value.url, String(value.value)) : `${value.value} (${value.url})`;
    return JSON.stringify(value);
  }
  if (typeof value === 'number') return /_date$/i.test(key) ? time(value) : number(value);
  if (typeof value === 'string' && isWebUrl(value)) return externalLink(value);
  return String(value);
}

export function metadataList(metadata) {
  const entries = Object.entries(metadata ?? {});
  if (entries.length === 0) return null;
  return h('dl', { class: 'metadata' }, entries.map(([key, value]) => [h('dt', {}, key), h('dd', {}, metadataValue(key, value))]));
}
