// The console's pages. Each renders into <main> from the JSON API and returns a function that
// stops its timers when the page is left.
import { api, metricsText, path, confirmAction, notify, APIError } from './api.js';
import { parseMetrics, total, RateHistory } from './metrics.js';
import { Timeline, axisFor, formatTime } from './timeline.js';

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child != null) node.append(child);
  return node;
}

const link = (href, text) => el('a', { href, 'data-nav': true, text });
const subscriptionHref = (project, id) => `/console/${path('subscriptions', project, id)}`;

/// A table that scrolls sideways on its own at narrow widths, not the page. `rows`: an array of
/// rows, or a tbody the caller fills later.
function table(headings, rows, caption) {
  return el('div', { class: 'table-wrap' }, el('table', {},
    caption ? el('caption', { text: caption }) : null,
    el('thead', {}, el('tr', {}, headings.map((heading) => el('th', { scope: 'col', text: heading })))),
    rows instanceof HTMLTableSectionElement ? rows : el('tbody', {}, rows)));
}

function page(view, title, ...children) {
  document.title = `${title} · addon-lifecycle console`;
  view.replaceChildren(el('h1', { text: title }), ...children);
}

/// Runs `tick` now and every `seconds` while the tab is visible (paused while hidden).
function live(tick, seconds) {
  let timer = null;
  const run = () => { tick().catch((error) => notify(`Could not refresh: ${error.message}`, 'error')); };
  const start = () => { if (timer == null) { run(); timer = setInterval(run, seconds * 1000); } };
  const stop = () => { if (timer != null) { clearInterval(timer); timer = null; } };
  const visibility = () => (document.visibilityState === 'visible' ? start() : stop());
  document.addEventListener('visibilitychange', visibility);
  visibility();
  return () => { stop(); document.removeEventListener('visibilitychange', visibility); };
}

// --- Overview -------------------------------------------------------------------------------

const gauges = [
  ['addon_queue_due', 'Subscriptions due now'],
  ['addon_queue_oldest_due_age_seconds', 'Oldest due (s)'],
  ['addon_queue_scheduled', 'Timers scheduled'],
  ['addon_queue_retrying', 'Retrying'],
  ['addon_events_failed', 'Failed events'],
  ['addon_delivery_pending', 'Delivery backlog'],
  ['addon_delivery_oldest_pending_age_seconds', 'Oldest delivery (s)'],
  ['addon_endpoints_disabled', 'Disabled endpoints'],
];

const counters = [
  ['ingest', 'Ingest requests/s', (samples) => total(samples, 'addon_ingest_requests_total')],
  ['transitions', 'Transitions/s', (samples) => total(samples, 'addon_transitions_total')],
  ['deliveries', 'Deliveries/s', (samples) => total(samples, 'addon_delivery_attempts_total', { outcome: 'delivered' })],
];

const history = new RateHistory(60);

function sparkline(points) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 100 24');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('aria-hidden', 'true');
  if (points.length > 1) {
    const max = Math.max(...points.map((point) => point.rate), 1);
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('points', points.map((point, index) =>
      `${(index / (points.length - 1)) * 100},${23 - (point.rate / max) * 22}`).join(' '));
    svg.append(line);
  }
  return svg;
}

const formatNumber = (value) => (value == null ? '—' : Number.isInteger(value) ? value.toLocaleString('en') : value.toFixed(1));

export function overview(main) {
  const cards = el('div', { class: 'cards' });
  const rates = el('div', { class: 'cards rates' });
  const scraped = el('p', { class: 'muted', id: 'scraped' });
  page(main, 'Overview', cards, el('h2', { text: 'Rates over the last minutes' }), rates, scraped,
    el('p', { class: 'muted', text: 'From this process\'s /metrics, every 5 s while this tab is visible. Rates count what this process did (ingest, and the workers and delivery when it runs them).' }));
  return live(async () => {
    const samples = parseMetrics(await metricsText());
    const time = Date.now();
    cards.replaceChildren(...gauges.map(([name, label]) => {
      const value = total(samples, name);
      return el('div', { class: 'card', 'data-metric': name },
        el('span', { class: 'value', text: formatNumber(value) }), el('span', { class: 'label', text: label }));
    }));
    if (total(samples, 'addon_queue_estimated') === 1) cards.append(el('p', { class: 'muted', text: 'Queue figures past 10,000 are estimates.' }));
    history.add(time, Object.fromEntries(counters.map(([key, , read]) => [key, read(samples)])));
    rates.replaceChildren(...counters.map(([key, label]) => {
      const points = history.rates(key);
      const last = points.length ? points[points.length - 1].rate : null;
      // A counter this process does not have (transitions in `serve` without workers): say so.
      const absent = history.points.length > 0 && history.points[history.points.length - 1].counters[key] == null;
      return el('div', { class: 'card', 'data-rate': key },
        el('span', { class: 'value', text: absent ? 'n/a' : last == null ? '…' : last.toFixed(1) }),
        el('span', { class: 'label', text: absent ? `${label} (not counted by this process)` : label }), sparkline(points));
    }));
    scraped.textContent = `Scraped ${new Date(time).toLocaleTimeString()}`;
  }, 5);
}

// --- Subscription ---------------------------------------------------------------------------

export async function subscription(main, project, id) {
  const base = `/${path('projects', project, 'subscriptions', id)}`;
  let summary;
  try {
    summary = await api(base);
  } catch (error) {
    if (error instanceof APIError && error.status === 404) {
      page(main, 'Not found', el('p', { text: `No event has named subscription ${id} in project ${project}.` }));
      return;
    }
    throw error;
  }
  const histories = {};
  await Promise.all(summary.addons.map(async (addon) => {
    const result = await api(`/${path('projects', project, 'subscriptionAddons', addon.id, 'history')}`);
    histories[addon.id] = result.items;
  }));
  const now = Date.now();
  const axis = axisFor(summary.addons, histories, now);
  const details = el('p', { class: 'details', id: 'mark-details', 'aria-live': 'polite', text: 'Point at or focus a mark for its details.' });
  const timelineBox = el('div', { id: 'timeline' });
  // An arrow key moves 1/200 of the axis (at least a second); the value is read out as a time.
  const step = Math.max(1000, Math.round((axis.end - axis.start) / 200 / 1000) * 1000);
  const range = el('input', { type: 'range', id: 'as-of', min: String(Math.floor(axis.start)), max: String(Math.ceil(axis.end)),
    step: String(step), value: String(now), 'aria-describedby': 'as-of-value', 'aria-valuetext': formatTime(now) });
  const asOfText = el('input', { id: 'as-of-value', value: formatTime(now), size: '22', 'aria-label': 'As of (RFC 3339)' });
  const stateBody = el('tbody');
  const allowances = el('ol', { id: 'allowances' });
  const pending = summary.pendingWork ? el('span', { class: 'pill warn', text: 'work pending' }) : el('span', { class: 'pill', text: 'up to date' });

  const facts = new Map();
  for (const items of Object.values(histories)) for (const item of items) if (item.object === 'fact') facts.set(item.event, item);
  const factRows = [...facts.values()].sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.event.localeCompare(b.event))
    .map((fact) => el('tr', {}, el('td', { text: fact.time }), el('td', { text: fact.type.replace('com.gigs.', '') }),
      el('td', {}, link(`/console/${path('events', fact.event)}`, fact.event)), el('td', { text: fact.eventStatus })));

  page(main, `Subscription ${id}`,
    el('p', { class: 'meta' }, `Project ${project} · `, pending, ` · failed events: ${summary.failedEvents} · `,
      link(`/console/${path('endpoints', project)}`, 'endpoints of this project')),
    el('section', { 'aria-labelledby': 'timeline-title' },
      el('h2', { id: 'timeline-title', text: 'Timeline' }),
      el('p', { class: 'legend' }, ...['pending', 'active', 'ended', 'timer'].map((kind) => el('span', { class: `key ${kind}`, text: kind === 'timer' ? 'timer to come' : kind })),
        el('span', { class: 'key fact', text: 'fact' }), el('span', { class: 'key transition', text: 'transition' }),
        el('span', { class: 'key now', text: 'now' }), el('span', { class: 'key as-of', text: 'as of' })),
      timelineBox, details,
      el('div', { class: 'as-of' }, el('label', { for: 'as-of', text: 'As of' }), range, asOfText,
        el('button', { type: 'button', id: 'as-of-now', text: 'Now', onclick: () => move(Date.now()) }))),
    el('section', {}, el('h2', { text: 'State as of the chosen instant' }),
      table(['Add-on', 'Status', 'Activated', 'Ended', 'Reason'], stateBody)),
    el('section', {}, el('h2', { text: 'Consumption order' }), allowances),
    el('section', {}, el('h2', { text: 'Facts in logical order' }), table(['Time', 'Type', 'Event', 'Status'], factRows)));

  const timeline = new Timeline(timelineBox, axis, (text) => { details.textContent = text; });
  for (const addon of summary.addons) timeline.addRow(addon, histories[addon.id] || [], now);
  timeline.setNow(now);

  let request = 0;
  async function show(time) {
    const mine = ++request;
    const instant = formatTime(time);
    const [state, order] = await Promise.all([
      api(`${base}/state?asOf=${encodeURIComponent(instant)}`),
      api(`${base}/allowances?at=${encodeURIComponent(instant)}`),
    ]);
    if (mine !== request) return;  // a later move answered first
    const byID = new Map(state.addons.map((addon) => [addon.id, addon]));
    for (const addon of summary.addons) timeline.setStatus(addon.id, byID.get(addon.id)?.status);
    stateBody.replaceChildren(...state.addons.map((addon) => el('tr', { 'data-addon': addon.id },
      el('td', { text: addon.id }), el('td', { class: 'status', 'data-status': addon.status, text: addon.status }),
      el('td', { text: addon.activatedAt || '—' }), el('td', { text: addon.endedAt || '—' }), el('td', { text: addon.endReason || '—' }))));
    allowances.replaceChildren(...(order.items.length ? order.items.map((item) => el('li', {},
      `${item.addon?.name || item.addon?.id} (${item.scope}) · ${item.subscriptionAddon} · expires ${item.expiresAt || 'unknown'}`))
      : [el('li', { class: 'muted', text: 'No active add-on at this instant.' })]));
  }
  let debounce = null;
  function move(time) {
    range.value = String(time);
    range.setAttribute('aria-valuetext', formatTime(time));
    asOfText.value = formatTime(time);
    timeline.setAsOf(time);
    clearTimeout(debounce);
    debounce = setTimeout(() => show(time).catch((error) => notify(`Could not load the state: ${error.message}`, 'error')), 120);
  }
  range.addEventListener('input', () => move(Number(range.value)));
  asOfText.addEventListener('change', () => {
    const time = Date.parse(asOfText.value);
    if (Number.isNaN(time)) { notify('Write the instant as RFC 3339, e.g. 2025-12-15T10:30:00Z.', 'error'); return; }
    notify('');
    move(time);
  });
  timeline.setAsOf(now);
  await show(now);
  return () => clearTimeout(debounce);
}

/// An add-on's permalink opens its subscription.
export async function addon(main, project, id, navigate) {
  const found = await api(`/${path('projects', project, 'subscriptionAddons', id)}`);
  navigate(subscriptionHref(project, found.subscription), true);
}

// --- Events ---------------------------------------------------------------------------------

async function retry(id, statusCell, button, current) {
  if (!await confirmAction('Retry this event?', `Event ${id} becomes pending and its subscription is folded again.`, 'Retry')) return;
  button.disabled = true;
  try {
    await api(`/${path('events', id, 'retry')}`, { method: 'POST' });
  } catch (error) {
    notify(`Retry refused: ${error.message}`, 'error');
    button.disabled = false;
    return;
  }
  // Show the status it reaches: pending, then processed (or failed again) once a worker folds it.
  for (let attempt = 0; attempt < 30 && current(); attempt += 1) {
    const record = await api(`/${path('events', id)}`);
    statusCell.textContent = record.status;
    statusCell.dataset.status = record.status;
    notify(`Event ${id} is ${record.status}.`);
    if (record.status === 'processed') return;  // (a lagging read replica may still say failed: keep looking)
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function eventRow(record, current) {
  const status = el('td', { class: 'status', 'data-status': record.status, text: record.status });
  const button = el('button', { type: 'button', class: 'retry', text: 'Retry', 'aria-label': `Retry ${record.id}` });
  button.addEventListener('click', () => retry(record.id, status, button, current).catch((error) => notify(error.message, 'error')));
  return el('tr', { 'data-event': record.id }, el('td', {}, link(`/console/${path('events', record.id)}`, record.id)),
    el('td', { text: record.type.replace('com.gigs.', '') }), status, el('td', { text: String(record.attempts) }),
    el('td', { class: 'error', text: record.lastError || '' }), el('td', {}, record.status === 'failed' ? button : null));
}

export async function failedEvents(main, current) {
  const list = await api('/events?status=failed&limit=100');
  page(main, 'Failed events',
    el('p', { class: 'muted', text: 'Events the workers set aside because the database refused their data. Retrying makes one pending again.' }),
    list.items.length ? table(['Event', 'Type', 'Status', 'Attempts', 'Last error', ''], list.items.map((record) => eventRow(record, current)))
      : el('p', { text: 'No failed events.' }));
}

export async function event(main, id, current) {
  const record = await api(`/${path('events', id)}`);
  page(main, `Event ${id}`, table(['Event', 'Type', 'Status', 'Attempts', 'Last error', ''], [eventRow(record, current)]),
    el('p', { class: 'muted', text: `Received ${record.receivedAt}${record.processedAt ? `, processed ${record.processedAt}` : ''}.` }));
}

// --- Endpoints ------------------------------------------------------------------------------

export async function endpoints(main, project) {
  const list = await api(`/${path('projects', project, 'webhookEndpoints')}?limit=100`);
  page(main, `Endpoints of ${project}`,
    list.items.length ? table(['Endpoint', 'URL', 'Status', 'Event types'], list.items.map((endpoint) => el('tr', {},
      el('td', {}, link(`/console/${path('endpoints', project, endpoint.id)}`, endpoint.id)), el('td', { text: endpoint.url }),
      el('td', { class: 'status', 'data-status': endpoint.status, text: endpoint.status }),
      el('td', { text: (endpoint.eventTypes || ['all']).join(', ') }))))
      : el('p', { text: `Project ${project} has no endpoints.` }));
}

export async function endpoint(main, project, id) {
  const base = `/${path('projects', project, 'webhookEndpoints', id)}`;
  const found = await api(base);
  const filter = el('select', { id: 'message-status', 'aria-label': 'Messages with status' },
    ...['', 'pending', 'delivered', 'failed'].map((value) => el('option', { value, text: value || 'all' })));
  const body = el('tbody');
  async function load() {
    const status = filter.value ? `&status=${filter.value}` : '';
    const messages = await api(`${base}/messages?limit=100${status}`);
    body.replaceChildren(...messages.items.map((message) => {
      const button = el('button', { type: 'button', class: 'resend', text: 'Resend', 'aria-label': `Resend ${message.id}` });
      const state = el('td', { class: 'status', 'data-status': message.status, text: message.status });
      button.addEventListener('click', async () => {
        if (!await confirmAction('Resend this message?', `${message.type} ${message.id} is sent to ${found.url} again.`, 'Resend')) return;
        try {
          await api(`${base}/messages/${encodeURIComponent(message.id)}/resend`, { method: 'POST' });
          notify(`Message ${message.id} queued to be sent again.`);
          await load();
        } catch (error) {
          notify(`Resend refused: ${error.message}`, 'error');
        }
      });
      return el('tr', { 'data-message': message.id }, el('td', { text: message.id }), el('td', { text: message.type.replace('com.gigs.', '') }),
        el('td', {}, link(subscriptionHref(project, message.subscription), message.subscription)), state,
        el('td', { text: String(message.attempts) }), el('td', { text: message.lastAttempt?.statusCode ?? message.lastAttempt?.error ?? '—' }),
        el('td', {}, button));
    }));
  }
  filter.addEventListener('change', () => load().catch((error) => notify(error.message, 'error')));
  page(main, `Endpoint ${id}`,
    el('p', { class: 'meta', text: `${found.url} · ${found.status}` }),
    el('label', {}, 'Messages ', filter),
    el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, ['Message', 'Type', 'Subscription', 'Status', 'Attempts', 'Last answer', ''].map((text) => el('th', { scope: 'col', text })))), body)));
  await load();
}

export async function search(project, id, navigate) {
  if (id.startsWith('evt_')) return navigate(`/console/${path('events', id)}`);
  const attempts = [
    [`/${path('projects', project, 'subscriptions', id)}`, () => subscriptionHref(project, id)],
    [`/${path('projects', project, 'subscriptionAddons', id)}`, (found) => subscriptionHref(project, found.subscription)],
    [`/${path('events', id)}`, () => `/console/${path('events', id)}`],
  ];
  for (const [url, href] of attempts) {
    try {
      return navigate(href(await api(url)));
    } catch (error) {
      if (!(error instanceof APIError && error.status === 404)) throw error;
    }
  }
  notify(`Nothing in project ${project} has the id ${id}.`, 'error');
}
