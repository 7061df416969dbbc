// The console's router: every page has a permalink under /console, links and the back button move
// between them without reloading, and the search box opens any subscription, add-on or event.
import { api, notify, APIError } from './api.js';
import * as pages from './pages.js';

const projectKey = 'addon-lifecycle.project';
const main = document.getElementById('main');
const projectInput = document.getElementById('search-project');
let leave = null;
let generation = 0;

function project() {
  return projectInput.value.trim() || localStorage.getItem(projectKey) || '';
}

function rememberProject(value) {
  if (!value) return;
  projectInput.value = value;
  localStorage.setItem(projectKey, value);
  const endpoints = document.getElementById('endpoints-link');
  endpoints.href = `/console/endpoints/${encodeURIComponent(value)}`;
}

export function navigate(href, replace = false) {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  return render();
}

/// Renders the page of the current URL into a fresh element, swapped in only if no later
/// navigation started meanwhile (a slow page never replaces a newer one).
async function render() {
  if (leave) { leave(); leave = null; }
  const mine = ++generation;
  const current = () => mine === generation;
  notify('');
  const parts = location.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  for (const anchor of document.querySelectorAll('nav a')) {
    anchor.toggleAttribute('aria-current', anchor.pathname === location.pathname);
  }
  main.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'Loading…' }));
  const view = document.createElement('div');
  const show = () => { if (current()) main.replaceChildren(view); };
  try {
    switch (parts[0]) {
      case undefined:
        leave = pages.overview(view);
        show();
        break;
      case 'subscriptions':
        rememberProject(parts[1]);
        leave = await pages.subscription(view, parts[1], parts[2]);
        show();
        break;
      case 'addons':
        rememberProject(parts[1]);
        await pages.addon(view, parts[1], parts[2], navigate);
        break;
      case 'events':
        if (parts[1]) await pages.event(view, parts[1], current);
        else await pages.failedEvents(view, current);
        show();
        break;
      case 'endpoints':
        if (!parts[1]) {
          if (project()) return navigate(`/console/endpoints/${encodeURIComponent(project())}`, true);
          main.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'Enter a project in the search box to see its endpoints.' }));
          break;
        }
        rememberProject(parts[1]);
        if (parts[2]) await pages.endpoint(view, parts[1], parts[2]);
        else await pages.endpoints(view, parts[1]);
        show();
        break;
      default:
        main.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'No such page.' }));
    }
  } catch (error) {
    if (!current()) return;
    const message = error instanceof APIError && error.status === 404 ? 'Not found.' : `Could not load this page: ${error.message}`;
    main.replaceChildren(Object.assign(document.createElement('p'), { className: 'error', textContent: message }));
  }
  if (!current()) { if (leave) { leave(); leave = null; } return; }
  main.focus({ preventScroll: true });
}

document.addEventListener('click', (event) => {
  const anchor = event.target.closest('a[data-nav]');
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(anchor.getAttribute('href'));
});

window.addEventListener('popstate', () => render());

document.getElementById('search').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const projectValue = String(form.get('project')).trim();
  const id = String(form.get('id')).trim();
  if (!projectValue || !id) return;
  rememberProject(projectValue);
  pages.search(projectValue, id, navigate).catch((error) => notify(`Search failed: ${error.message}`, 'error'));
});

// The token is asked for (and checked) once, before the first page, even one that reads only /metrics.
rememberProject(localStorage.getItem(projectKey) || '');
api('/events?status=failed&limit=1').catch(() => {}).finally(render);
