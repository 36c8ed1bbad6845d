// The console's shell: hash routes to views, a poll every POLL_MS for the
// view on screen, and the login form when the admin API answers 401.
import { ApiError, get, hasCredentials, signIn, signOut } from './api.js';
import { duration, h } from './dom.js';
import { browserView } from './views/browser.js';
import { connectionsView } from './views/connections.js';
import { explainView } from './views/explain.js';
import { overviewView } from './views/overview.js';
import { queuesView } from './views/queues.js';
import { topicsView } from './views/topics.js';
import { tracerView } from './views/tracer.js';

const POLL_MS = 1500;

const ROUTES = {
  overview: overviewView,
  queues: queuesView,
  topics: topicsView,
  connections: connectionsView,
  explain: explainView,
};
const DETAIL_ROUTES = { queues: browserView, connections: tracerView };

const main = document.getElementById('main');
const nodeInfo = document.getElementById('node-info');
const logout = document.getElementById('logout');
let current = null;
let timer = null;
let loggingIn = false;

function route() {
  const [name = 'overview', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const param = rest.length > 0 ? decodeURIComponent(rest.join('/')) : null;
  const make = param !== null ? DETAIL_ROUTES[name] : ROUTES[name];
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', link.dataset.view === name);
  }
  if (!make) {
    location.hash = '#/overview';
    return;
  }
  current = make({ param, refreshSoon });
  main.replaceChildren(current.el);
  document.title = `${name[0].toUpperCase()}${name.slice(1)} · Stompede console`;
  refreshSoon();
}

function refreshSoon() {
  clearTimeout(timer);
  timer = setTimeout(tick, 0);
}

async function tick() {
  clearTimeout(timer);
  if (loggingIn) return;
  const view = current;
  try {
    await Promise.all([view.refresh(), header()]);
    main.classList.remove('stale');
    document.getElementById('offline')?.remove();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    showProblem(err);
  }
  if (view === current) timer = setTimeout(tick, POLL_MS);
}

async function header() {
  const o = await get('/overview');
  nodeInfo.replaceChildren(
    h('span', { class: 'dot ok' }),
    `${o.node} · v${o.version} · up ${duration(o.uptimeMs)}`,
  );
  logout.hidden = !hasCredentials();
}

function showProblem(err) {
  main.classList.add('stale');
  nodeInfo.replaceChildren(h('span', { class: 'dot bad' }), 'not answering');
  const note =
    document.getElementById('offline') ??
    h('div', { id: 'offline', class: 'banner bad', role: 'alert' });
  note.textContent = err.message;
  if (!note.isConnected) main.prepend(note);
}

function showLogin(message) {
  if (loggingIn) return;
  loggingIn = true;
  clearTimeout(timer);
  const user = h('input', { name: 'user', autocomplete: 'username', required: true });
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
  });
  const form = h(
    'form',
    {
      class: 'card login',
      onsubmit: (event) => {
        event.preventDefault();
        signIn(user.value, password.value);
        loggingIn = false;
        route();
      },
    },
    h('img', { src: 'favicon.svg', alt: '', width: 40, height: 40 }),
    h('h1', {}, 'Sign in to the broker'),
    h('p', { class: 'muted' }, message),
    h('label', {}, 'User', user),
    h('label', {}, 'Password', password),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  main.replaceChildren(h('section', { class: 'view center' }, form));
  user.focus();
}

window.addEventListener('unauthorized', (event) => {
  const hadCredentials = hasCredentials();
  signOut();
  showLogin(
    hadCredentials
      ? event.detail.message
      : 'The admin API needs a user of the broker (HTTP Basic).',
  );
});
logout.addEventListener('click', () => {
  signOut();
  location.reload();
});
window.addEventListener('hashchange', route);
route();
