// The console's only way to the data: the public JSON API, with the operator's token.
// The token is asked once and kept in sessionStorage (this tab only); a refused one is asked again.

const tokenKey = 'addon-lifecycle.token';

export class RefusedToken extends Error {}

export class APIError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

let pendingToken = null;

/// Shows the token dialog until a token is entered; `message` says why it is asked again.
export function askForToken(message) {
  if (pendingToken) return pendingToken;
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  const text = document.getElementById('token-message');
  if (message) text.textContent = message;
  input.value = '';
  pendingToken = new Promise((resolve) => {
    // Escape must not dismiss it (nor submit what is half typed): there is nothing to show without.
    const refuseCancel = (event) => event.preventDefault();
    dialog.addEventListener('cancel', refuseCancel);
    dialog.addEventListener('close', function done() {
      const value = dialog.returnValue === 'save' ? input.value.trim() : '';
      if (!value) { dialog.showModal(); return; }
      dialog.removeEventListener('close', done);
      dialog.removeEventListener('cancel', refuseCancel);
      sessionStorage.setItem(tokenKey, value);
      pendingToken = null;
      resolve(value);
    });
    dialog.returnValue = '';
    dialog.showModal();
    input.focus();
  });
  return pendingToken;
}

async function token() {
  return sessionStorage.getItem(tokenKey) || askForToken();
}

/// A JSON request to the API. A 401 forgets the token, asks for another and tries again.
export async function api(path, options = {}) {
  for (;;) {
    const sent = await token();
    const headers = { Accept: 'application/json', Authorization: `Bearer ${sent}` };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, {
      method: options.method || 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
    });
    if (response.status === 401) {
      // Only the token this request carried is wrong: a newer one entered meanwhile stays.
      if (sessionStorage.getItem(tokenKey) === sent) {
        sessionStorage.removeItem(tokenKey);
        await askForToken('That token was refused (401 Unauthorized). Enter the API_TOKEN this service runs with '
          + '(a service started without API_TOKEN refuses every token).');
      }
      continue;
    }
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = { message: text }; }
    if (!response.ok) throw new APIError(response.status, body);
    return body;
  }
}

/// `/metrics` is public (Prometheus scrapes it): plain text, no token.
export async function metricsText() {
  const response = await fetch('/metrics', { cache: 'no-store' });
  if (!response.ok) throw new APIError(response.status, { message: `metrics: HTTP ${response.status}` });
  return response.text();
}

export const path = (...parts) => parts.map(encodeURIComponent).join('/');

/// Asks before an action; resolves true when confirmed.
export function confirmAction(title, message, label) {
  const dialog = document.getElementById('confirm-dialog');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-message').textContent = message;
  document.getElementById('confirm-ok').textContent = label;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    dialog.showModal();
    document.getElementById('confirm-cancel').focus();
  });
}

/// A short message in the status line (read out by screen readers).
export function notify(message, kind = 'info') {
  const notice = document.getElementById('notice');
  notice.textContent = message;
  notice.dataset.kind = kind;
  notice.hidden = !message;
}
