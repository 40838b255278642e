/*! Event store messenger widget: Intercom's window.Intercom(command, ...) for tracking events, sent to the
    event store that served this script. Protocol and choices: docs/adr/0014-tracking-from-the-browser.md. */
(function (w, d) {
  'use strict';
  var stub = w.Intercom;
  if (stub && stub.eventStoreWidget) {
    return; // loaded twice: the first copy stays in charge
  }

  var FLUSH_DELAY = 1000;      // ms to gather the calls of a moment into one request
  var BATCH = 10;              // events per request (the endpoint takes up to 50)
  var MAX_PENDING = 500;       // events kept for delivery; beyond, the oldest are dropped
  var MAX_HELD = 100;          // events of an anonymous visitor kept until it identifies
  var HOLD_SECONDS = 7 * 86400;
  var MAX_FAILURES = 8;        // failed attempts in a row before this page gives up (the next page load tries again)

  var script = d.currentScript || d.querySelector('script[src*="/messenger/widget.js"],script[src*="/widget/"]');
  // The service's base URL: where this script came from, less its own path (so a path prefix of a proxy is kept).
  var base = script ? script.src.replace(/\/(messenger\/widget\.js|widget\/[^\/?#]*)([?#].*)?$/, '') : '';
  var prefix = 'eventstore-messenger:' + base + ':';

  var settings = null;         // the booted settings, null until boot and after shutdown
  var queue = read('pending'); // events to send; each {id, app_id, user, event}, also kept in localStorage
  var failures = 0;
  var timer = null;

  function warn(message) {
    if (w.console && console.warn) {
      console.warn('[Intercom] ' + message);
    }
  }

  function read(key) {
    try {
      var value = JSON.parse(w.localStorage.getItem(prefix + key) || '[]');
      return Array.isArray(value) ? value : [];
    } catch (e) {
      return [];
    }
  }

  function write(key, items) {
    try {
      if (items.length) {
        w.localStorage.setItem(prefix + key, JSON.stringify(items));
      } else {
        w.localStorage.removeItem(prefix + key);
      }
    } catch (e) {
      // no storage (private mode, sandboxed frame, full): events are still sent from memory
    }
  }

  // localStorage is shared by the site's tabs: add and remove by id, so that one tab never drops another's events.
  function store(items) {
    var stored = read('pending').concat(items);
    if (stored.length > MAX_PENDING) {
      warn('more than ' + MAX_PENDING + ' events wait for delivery; the oldest are dropped');
      stored = stored.slice(stored.length - MAX_PENDING);
    }
    write('pending', stored);
  }

  function forget(items) {
    var sent = {};
    for (var i = 0; i < items.length; i++) {
      sent[items[i].id] = true;
    }
    write('pending', read('pending').filter(function (item) { return !sent[item.id]; }));
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    (w.crypto || w.msCrypto).getRandomValues(bytes);
    var hex = '';
    for (var i = 0; i < bytes.length; i++) {
      hex += (bytes[i] + 256).toString(16).slice(1);
    }
    return hex;
  }

  function visitorId() {
    var id = null;
    try {
      id = w.localStorage.getItem(prefix + 'visitor');
      if (!id) {
        id = randomId();
        w.localStorage.setItem(prefix + 'visitor', id);
      }
    } catch (e) {
      id = id || visitorId.memory || (visitorId.memory = randomId());
    }
    return id;
  }

  // The one identifier a user_hash signs: user_id, else email.
  function userOf(s) {
    if (s.user_id !== undefined && s.user_id !== null && String(s.user_id) !== '') {
      return { user_id: String(s.user_id), user_hash: s.user_hash };
    }
    if (s.email) {
      return { email: String(s.email), user_hash: s.user_hash };
    }
    return null;
  }

  function merge(target) {
    for (var i = 1; i < arguments.length; i++) {
      var source = arguments[i];
      if (source && typeof source === 'object') {
        for (var key in source) {
          if (Object.prototype.hasOwnProperty.call(source, key)) {
            target[key] = source[key];
          }
        }
      }
    }
    return target;
  }

  function boot(options) {
    var next = merge({}, options || w.intercomSettings);
    if (!next.app_id) {
      warn("boot needs an app_id: Intercom('boot', { app_id: 'your-workspace', user_id: '…', user_hash: '…' })");
      return;
    }
    settings = next;
    identified();
  }

  function update(options) {
    if (!settings) {
      if (options && options.app_id) {
        boot(options);
      }
      return;
    }
    settings = merge({}, settings, options);
    identified();
  }

  // Once the page names its user, an anonymous visitor's held events become that user's (sent once: their stamps are kept).
  function identified() {
    var user = userOf(settings);
    if (!user) {
      return;
    }
    var now = Math.floor(Date.now() / 1000);
    var held = read('held');
    var mine = held.filter(function (item) { return item.app_id === settings.app_id && now - item.event.created_at < HOLD_SECONDS; });
    write('held', held.filter(function (item) { return item.app_id !== settings.app_id; }));
    if (mine.length) {
      enqueue(mine.map(function (item) { item.user = user; return item; }));
    }
  }

  function shutdown() {
    flush();
    if (settings) {
      write('held', read('held').filter(function (item) { return item.app_id !== settings.app_id; }));
    }
    settings = null;
    try {
      w.localStorage.removeItem(prefix + 'visitor');
    } catch (e) {
      visitorId.memory = null;
    }
  }

  function trackEvent(name, metadata) {
    if (typeof name !== 'string' || !name.trim()) {
      warn("trackEvent needs an event name: Intercom('trackEvent', 'invited-friend', { invite_code: 'ADDAFRIEND' })");
      return;
    }
    if (!settings) {
      warn("trackEvent('" + name + "') before boot: the event is dropped. Boot first: Intercom('boot', { app_id: … })");
      return;
    }
    // Stamped once, here: a retried request carries the same created_at, so the service stores the event once.
    var event = { event_name: name, created_at: Math.floor(Date.now() / 1000) };
    if (metadata !== undefined && metadata !== null) {
      try {
        event.metadata = JSON.parse(JSON.stringify(metadata));
      } catch (e) {
        warn("trackEvent('" + name + "'): its metadata cannot be sent as JSON (" + e.message + '); the event is dropped');
        return;
      }
    }
    var item = { id: randomId(), app_id: settings.app_id, event: event };
    var user = userOf(settings);
    if (user) {
      item.user = user;
      enqueue([item]);
    } else {
      var held = read('held').concat([item]);
      write('held', held.slice(Math.max(0, held.length - MAX_HELD)));
    }
  }

  function enqueue(items) {
    queue = queue.concat(items);
    store(items);
    if (!timer) {
      timer = setTimeout(flush, FLUSH_DELAY);
    }
  }

  // Sends everything queued now, in batches of one app and user each; keepalive lets a request outlive the page.
  function flush() {
    clearTimeout(timer);
    timer = null;
    while (queue.length) {
      var first = queue[0];
      var key = JSON.stringify([first.app_id, first.user]);
      var batch = [];
      var rest = [];
      for (var i = 0; i < queue.length; i++) {
        var item = queue[i];
        (batch.length < BATCH && JSON.stringify([item.app_id, item.user]) === key ? batch : rest).push(item);
      }
      queue = rest;
      send(batch);
    }
  }

  function send(batch) {
    var body = JSON.stringify(merge({}, batch[0].user, { events: batch.map(function (item) { return item.event; }) }));
    var url = base + '/messenger/' + encodeURIComponent(batch[0].app_id) + '/events';
    var request;
    try {
      request = w.fetch(url, {
        method: 'POST', body: body, keepalive: true, credentials: 'omit',
        headers: { 'Content-Type': 'text/plain;charset=UTF-8' }
      });
    } catch (e) {
      // no fetch, or past keepalive's quota while the page goes away: a beacon still gets it out (answer unread)
      if (w.navigator.sendBeacon && w.navigator.sendBeacon(url, body)) {
        return;
      }
      request = Promise.reject(e);
    }
    request.then(function (response) {
      return response.text().then(function (text) { answered(batch, response, text); });
    }).then(null, function () { failed(batch, 0); });
  }

  function answered(batch, response, text) {
    if (response.status === 429 || response.status >= 500) {
      failed(batch, parseInt(response.headers.get('Retry-After'), 10) * 1000 || 0);
      return;
    }
    failures = 0;
    forget(batch);
    var answer = null;
    try {
      answer = JSON.parse(text);
    } catch (e) {
      answer = null;
    }
    if (response.ok) {
      var results = answer && answer.results || [];
      for (var i = 0; i < results.length; i++) {
        if (results[i].status === 'rejected') {
          warn("trackEvent('" + batch[results[i].index].event.event_name + "') was refused: " + describe(results[i].errors));
        }
      }
    } else {
      warn(batch.length + ' event(s) were refused (' + response.status + '): ' + describe(answer && answer.errors));
    }
  }

  function failed(batch, wait) {
    queue = batch.concat(queue);
    failures++;
    if (failures === MAX_FAILURES) {
      warn('could not deliver events to ' + base + ' after ' + failures + ' attempts; they are kept and sent on the next page load');
    }
    if (failures >= MAX_FAILURES || timer) {
      return;
    }
    var delay = wait || Math.min(60000, 1000 * Math.pow(2, failures - 1) * (1 + Math.random() / 2));
    timer = setTimeout(flush, delay);
  }

  function describe(errors) {
    return (errors || []).map(function (e) { return e.message + (e.field ? ' (' + e.field + ')' : ''); }).join('; ') || 'no reason given';
  }

  function noop() {
    return undefined;
  }

  var commands = {
    boot: boot,
    update: update,
    shutdown: shutdown,
    trackEvent: trackEvent,
    getVisitorId: visitorId,
    reattach_activator: noop
  };

  // Every other command belongs to Intercom's chat messenger (show, hide, onShow, startTour, …): accepted, ignored.
  function Intercom(command) {
    var run = commands[command];
    return run ? run.apply(null, Array.prototype.slice.call(arguments, 1)) : undefined;
  }

  Intercom.eventStoreWidget = true;
  w.Intercom = Intercom;

  w.addEventListener('online', function () {
    failures = 0;
    flush();
  });
  // The last moment a page is sure to run: send what waits now, with keepalive.
  w.addEventListener('pagehide', flush);
  d.addEventListener('visibilitychange', function () {
    if (d.visibilityState === 'hidden') {
      flush();
    }
  });

  if (w.intercomSettings && w.intercomSettings.app_id) {
    boot(w.intercomSettings);
  }
  // Calls the loader queued (Intercom's snippet and npm package both keep them in .q) run now, in order.
  var queued = stub && stub.q || [];
  for (var i = 0; i < queued.length; i++) {
    Intercom.apply(null, queued[i]);
  }
  // Events an earlier page could not deliver.
  if (queue.length) {
    timer = setTimeout(flush, 0);
  }
})(window, document);
