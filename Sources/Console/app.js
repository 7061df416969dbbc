// The console's router: every page has a permalink under /console, links and the back button move
// between them without reloading, and the search box opens any subscription, add-on or event.
import { api, notify, APIError } from './api.js';
import * as pages from './pages.js';

const projectKey = 'addon-lifecycle.project';
const main = document.getElementById('main');
const projectInput = document.getElementById('search-project');
let leave = null;

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

async function render() {
  if (leave) { leave(); leave = null; }
  notify('');
  const parts = location.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  for (const anchor of document.querySelectorAll('nav a')) {
    anchor.toggleAttribute('aria-current', anchor.pathname === location.pathname);
  }
  main.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'Loading…' }));
  try {
    switch (parts[0]) {
      case undefined:
        leave = pages.overview(main);
        break;
      case 'subscriptions':
        rememberProject(parts[1]);
        await pages.subscription(main, parts[1], parts[2]);
        break;
      case 'addons':
        rememberProject(parts[1]);
        await pages.addon(main, parts[1], parts[2], navigate);
        break;
      case 'events':
        if (parts[1]) await pages.event(main, parts[1]);
        else await pages.failedEvents(main);
        break;
      case 'endpoints':
        if (!parts[1]) {
          if (project()) return navigate(`/console/endpoints/${encodeURIComponent(project())}`, true);
          main.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'Enter a project in the search box to see its endpoints.' }));
          break;
        }
        rememberProject(parts[1]);
        if (parts[2]) await pages.endpoint(main, parts[1], parts[2]);
        else await pages.endpoints(main, parts[1]);
        break;
      default:
        main.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'No such page.' }));
    }
  } catch (error) {
    const message = error instanceof APIError && error.status === 404 ? 'Not found.' : `Could not load this page: ${error.message}`;
    main.replaceChildren(Object.assign(document.createElement('p'), { className: 'error', textContent: message }));
  }
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
