// A subscription's add-ons on one time axis: bars for pending, active and ended spans, marks for
// facts and transitions (buttons: hover, focus and keyboard show their details), timers still to
// come, a now line and the "as of" line. Plain elements positioned in percent (no inline markup
// styles: the page's CSP forbids them; positions are set through the CSSOM).

const ms = (text) => (text ? Date.parse(text) : null);

export function axisFor(addons, histories, now) {
  let start = Infinity;
  let end = now;
  for (const addon of addons) {
    for (const time of [addon.createdAt, addon.activatedAt, addon.endedAt, addon.canceledAt, addon.currentPeriod?.end]) {
      const value = ms(time);
      if (value == null) continue;
      start = Math.min(start, value);
      end = Math.max(end, value);
    }
    for (const item of histories[addon.id] || []) {
      const value = ms(item.time);
      start = Math.min(start, value);
      end = Math.max(end, value);
    }
  }
  if (!Number.isFinite(start)) start = now - 86_400_000;
  const pad = Math.max((end - start) * 0.04, 60_000);
  return { start: start - pad, end: end + pad };
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

export const formatTime = (value) => new Date(value).toISOString().replace('.000Z', 'Z');

export class Timeline {
  /// `onDetails(text)` receives the details of the mark under the pointer or focus.
  constructor(container, axis, onDetails) {
    this.container = container;
    this.axis = axis;
    this.onDetails = onDetails;
    this.rows = new Map();
    container.replaceChildren();
    container.classList.add('timeline');
    this.ticks = element('div', 'ticks');
    container.append(this.ticks);
    for (let index = 0; index <= 4; index += 1) {
      const tick = element('span', 'tick', formatTime(axis.start + ((axis.end - axis.start) * index) / 4).slice(0, 16).replace('T', ' '));
      tick.style.left = `${index * 25}%`;
      this.ticks.append(tick);
    }
    this.body = element('div', 'tracks');
    container.append(this.body);
    this.nowLine = element('div', 'line now-line');
    this.nowLine.title = 'now';
    this.asOfLine = element('div', 'line as-of-line');
    this.asOfLine.title = 'as of';
    this.body.append(this.nowLine, this.asOfLine);
  }

  percent(time) {
    const span = this.axis.end - this.axis.start;
    return Math.min(100, Math.max(0, ((time - this.axis.start) / span) * 100));
  }

  place(node, from, to) {
    const left = this.percent(from);
    node.style.left = `${left}%`;
    if (to != null) node.style.width = `${Math.max(0.4, this.percent(to) - left)}%`;
  }

  addRow(addon, history, now) {
    const row = element('div', 'row');
    row.dataset.addon = addon.id;
    const label = element('div', 'row-label');
    const name = element('span', 'row-name', `${addon.addon?.name || addon.addon?.id || 'add-on'} · ${addon.id}`);
    const status = element('span', 'status-badge');
    label.append(name, status);
    const track = element('div', 'track');
    row.append(label, track);
    this.body.append(row);

    const created = ms(addon.createdAt);
    const activated = ms(addon.activatedAt);
    const ended = ms(addon.endedAt);
    const bar = (kind, from, to, text) => {
      const node = element('div', `bar ${kind}`);
      node.dataset.kind = kind;
      node.title = text;
      this.place(node, from, to);
      track.append(node);
    };
    if (created != null) bar('pending', created, activated ?? ended ?? now, `pending from ${formatTime(created)}`);
    if (activated != null) bar('active', activated, ended ?? now, `active from ${formatTime(activated)}`);
    if (ended != null) bar('ended', ended, Math.max(ended, now), `ended ${formatTime(ended)} (${addon.endReason || 'no reason'})`);
    const periodEnd = ms(addon.currentPeriod?.end);
    if (periodEnd != null && periodEnd > now) bar('timer', now, periodEnd, `expires ${formatTime(periodEnd)} (timer to come)`);

    for (const item of history) {
      const time = ms(item.time);
      const mark = element('button', `mark ${item.object === 'transition' ? 'transition' : 'fact'}`);
      mark.type = 'button';
      const text = item.object === 'transition'
        ? `transition ${item.kind}${item.endReason ? ` (${item.endReason})` : ''} at ${item.time}, recorded ${item.recordedAt}`
        : `fact ${item.type.replace('com.gigs.', '')} at ${item.time} (event ${item.event}, ${item.eventStatus})`;
      mark.title = text;
      mark.setAttribute('aria-label', text);
      this.place(mark, time);
      const show = () => this.onDetails(text);
      mark.addEventListener('mouseenter', show);
      mark.addEventListener('focus', show);
      track.append(mark);
    }
    this.rows.set(addon.id, { row, status });
    this.setStatus(addon.id, addon.status);
  }

  setStatus(id, status) {
    const row = this.rows.get(id);
    if (!row) return;
    row.status.textContent = status || 'not yet known';
    row.status.dataset.status = status || 'unknown';
  }

  setNow(time) { this.place(this.nowLine, time); }

  setAsOf(time) { this.place(this.asOfLine, time); }
}
