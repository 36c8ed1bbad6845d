// The demo app: one connection, two views (chat, live logs), a status bar.
import { createChat } from './chat.js';
import { brokerUrl, createConnection, loadClientLibrary } from './connection.js';
import { createLogViewer } from './logs.js';
import { byId } from './util.js';

const VIEWS = ['chat', 'logs'];

/** Screen-reader announcements and a brief visible toast. */
function createAnnouncer() {
  const region = byId('announcer');
  const toast = byId('toast');
  let timer = 0;
  return (text) => {
    region.textContent = text;
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(() => {
      toast.hidden = true;
    }, 3500);
  };
}

function setUpTabs(onShow) {
  const tabs = VIEWS.map((view) => byId(`tab-${view}`));
  const show = (view, focus = false) => {
    const name = VIEWS.includes(view) ? view : 'chat';
    for (const v of VIEWS) {
      const selected = v === name;
      const tab = byId(`tab-${v}`);
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
      byId(`view-${v}`).hidden = !selected;
      if (selected && focus) tab.focus();
    }
    document.body.dataset.view = name;
    if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
    onShow(name);
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => show(VIEWS[i]));
    tab.addEventListener('keydown', (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (event.key === 'Home') show(VIEWS[0], true);
      else if (event.key === 'End') show(VIEWS[VIEWS.length - 1], true);
      else if (step !== undefined) show(VIEWS[(i + step + VIEWS.length) % VIEWS.length], true);
      else return;
      event.preventDefault();
    });
  });
  window.addEventListener('hashchange', () => show(location.hash.slice(1)));
  show(location.hash.slice(1));
}

function renderStatus(status) {
  const bar = byId('statusbar');
  bar.dataset.state = status.state;
  const label = {
    connecting: 'Connecting…',
    connected: 'Connected',
    reconnecting:
      status.attempt > 0 ? `Reconnecting… (attempt ${status.attempt})` : 'Reconnecting…',
    closed: 'Disconnected',
    missing: 'Client library missing',
  }[status.state];
  byId('status-state').textContent = label ?? status.state;
  byId('status-url').textContent = status.url;
  byId('status-latency').textContent =
    typeof status.latency === 'number'
      ? `${status.latency < 10 ? status.latency.toFixed(1) : Math.round(status.latency)} ms`
      : '—';
  byId('status-library').textContent = status.library ?? '—';
  const detail = byId('status-detail');
  detail.textContent = status.state !== 'connected' && status.error ? status.error : '';
}

async function main() {
  const announce = createAnnouncer();
  const url = brokerUrl();
  const library = await loadClientLibrary();
  if (library === null) {
    renderStatus({ state: 'missing', url, latency: null, library: null });
    byId('missing-client').hidden = false;
    setUpTabs(() => {});
    return;
  }
  if (library.fallback) byId('fallback-note').hidden = false;

  const history = { enabled: true };
  const connection = createConnection({ library, url, onState: renderStatus });
  const chat = createChat({ connection, history, announce });
  const logs = createLogViewer({ connection, history });

  // A broker started without demo/stompede.demo.json keeps no history and refuses
  // SUBSCRIBEs that ask for it: carry on without.
  const onError = (err) => {
    const text = String(err?.message ?? err?.headers?.message ?? err ?? '');
    if (history.enabled && /no history kept/i.test(text)) {
      history.enabled = false;
      byId('history-note').hidden = false;
      chat.historyUnavailable();
      logs.historyUnavailable();
    }
  };
  connection.onClient((client) => {
    client.on?.('error', onError);
  });

  setUpTabs((view) => {
    if (view === 'logs') logs.start();
  });

  // Leaving the page: say goodbye (DISCONNECT), so presence shows us gone at
  // once rather than when the broker gives up on resuming the session.
  window.addEventListener('pagehide', () => connection.close());
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) location.reload();
  });

  globalThis.stompedeDemo = { connection, chat, logs, library: library.name };
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  console.error(err);
  byId('status-state').textContent = `Demo failed to start: ${err?.message ?? err}`;
});
