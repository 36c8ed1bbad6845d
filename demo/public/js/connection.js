// The demo's one broker connection: loads the browser client, connects,
// reports state changes and measures latency. Views register with onClient()
// and subscribe on whichever client object is current.

/** The stompede-client browser bundle (copied here by `npm run build -w demo`). */
const CLIENT_BUNDLE = '/vendor/stompede.iife.js';
/** Fallback while developing without a built client: @stomp/stompjs, adapted below. */
const FALLBACK_BUNDLE = '/vendor/stomp.umd.js';
const PING_EVERY_MS = 5000;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(script);
  });
}

/**
 * The client library: `{ name, api }` where `api.connect(options)` resolves
 * to a client, or null when neither bundle can be loaded.
 * `?client=stompjs` in the page URL skips stompede-client (for comparison).
 */
export async function loadClientLibrary() {
  const forceFallback = new URLSearchParams(location.search).get('client') === 'stompjs';
  if (!forceFallback) {
    if (globalThis.Stompede === undefined) await loadScript(CLIENT_BUNDLE).catch(() => {});
    if (typeof globalThis.Stompede?.connect === 'function') {
      const version = globalThis.Stompede.VERSION ?? globalThis.Stompede.version;
      return {
        name: version ? `stompede-client ${version}` : 'stompede-client',
        fallback: false,
        api: globalThis.Stompede,
      };
    }
  }
  if (globalThis.StompJs === undefined) await loadScript(FALLBACK_BUNDLE).catch(() => {});
  if (typeof globalThis.StompJs?.Client === 'function') {
    return {
      name: '@stomp/stompjs (fallback)',
      fallback: true,
      api: stompjsAdapter(globalThis.StompJs),
    };
  }
  return null;
}

/** The broker's STOMP WebSocket endpoint on the host that served this page. */
export function brokerUrl() {
  const override = new URLSearchParams(location.search).get('broker');
  if (override) return override;
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/stomp`;
}

/**
 * Connect and stay connected. `onState({ state, attempt, latency, url, library, error })`
 * is called on every change; `onClient(fn)` runs fn(client) for each new client object
 * (the library reconnects one client object itself; a new one is made only when
 * the first connect fails outright).
 */
export function createConnection({ library, url, onState }) {
  const readyCallbacks = new Set();
  const status = { state: 'connecting', attempt: 0, latency: null, url, library: library.name };
  let client = null;
  let pingTimer = 0;
  let stopped = false;

  const report = (changes) => {
    Object.assign(status, changes);
    onState({ ...status });
  };

  const ping = async () => {
    if (client === null || status.state !== 'connected') return;
    const began = performance.now();
    try {
      const result = await client.ping();
      const measured = performance.now() - began;
      const rtt = typeof result === 'number' && Number.isFinite(result) ? result : measured;
      report({ latency: rtt });
    } catch {
      report({ latency: null });
    }
  };

  const onClientState = (state, info = {}) => {
    const attempt = Number(info?.attempt ?? info?.attempts ?? 0) || 0;
    if (state === 'connected' || state === 'open') {
      report({ state: 'connected', attempt: 0, error: null });
      ping();
    } else if (state === 'reconnecting' || state === 'connecting') {
      report({
        state: attempt > 0 || state === 'reconnecting' ? 'reconnecting' : 'connecting',
        attempt,
        latency: null,
        error: info?.error?.message ?? info?.reason ?? null,
      });
    } else if (state === 'closed' || state === 'disconnected') {
      report({ state: stopped ? 'closed' : 'reconnecting', latency: null });
    } else {
      report({ state: String(state) });
    }
  };

  const start = async () => {
    let attempt = 0;
    while (!stopped) {
      try {
        const next = await library.api.connect({ url, reconnect: true });
        client = next;
        client.on?.('state', onClientState);
        report({ state: 'connected', attempt: 0, error: null });
        for (const fn of readyCallbacks) fn(client);
        ping();
        return;
      } catch (err) {
        attempt += 1;
        report({
          state: 'reconnecting',
          attempt,
          latency: null,
          error: err?.message ?? String(err),
        });
        await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** (attempt - 1), 10_000)));
      }
    }
  };

  pingTimer = setInterval(ping, PING_EVERY_MS);
  report({});
  start();

  return {
    get client() {
      return client;
    },
    get status() {
      return { ...status };
    },
    /** Run fn(client) now if connected, and for every new client object later. */
    onClient(fn) {
      readyCallbacks.add(fn);
      if (client !== null) fn(client);
      return () => readyCallbacks.delete(fn);
    },
    ping,
    close() {
      stopped = true;
      clearInterval(pingTimer);
      client?.close();
    },
  };
}

/**
 * The subset of the stompede-client API the demo uses, over @stomp/stompjs:
 * connect({ url, reconnect }), on('state'), subscribe(dest, fn, { selector,
 * history, headers }), publish(dest, body, { headers, receipt }), ping(), close().
 */
function stompjsAdapter(StompJs) {
  return {
    connect(options) {
      return new Promise((resolve, reject) => {
        new CompatClient(StompJs, options, resolve, reject);
      });
    },
  };
}

class CompatClient {
  constructor(StompJs, { url, reconnect = false }, resolve, reject) {
    this.listeners = new Map();
    this.subscriptions = new Map();
    this.nextId = 1;
    this.attempt = 0;
    this.connected = false;
    this.everConnected = false;
    this.stomp = new StompJs.Client({
      brokerURL: url,
      reconnectDelay: reconnect ? 1000 : 0,
      heartbeatIncoming: 10_000,
      heartbeatOutgoing: 10_000,
    });
    this.stomp.onConnect = () => {
      this.connected = true;
      this.attempt = 0;
      for (const spec of this.subscriptions.values()) this.attach(spec);
      if (!this.everConnected) {
        this.everConnected = true;
        resolve(this);
      }
      this.emit('state', 'connected', {});
    };
    this.stomp.onWebSocketClose = (event) => {
      this.connected = false;
      if (!this.everConnected) {
        this.stomp.deactivate();
        reject(new Error(`cannot connect to ${url} (${event?.code ?? 'closed'})`));
        return;
      }
      if (!this.stomp.active) {
        this.emit('state', 'closed', {});
        return;
      }
      this.attempt += 1;
      this.emit('state', 'reconnecting', { attempt: this.attempt, reason: event?.reason });
    };
    this.stomp.onStompError = (frame) => {
      this.emit('error', new Error(frame.headers.message ?? 'STOMP error'));
    };
    this.stomp.activate();
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(fn);
    return () => this.listeners.get(event)?.delete(fn);
  }

  emit(event, ...args) {
    for (const fn of this.listeners.get(event) ?? []) fn(...args);
  }

  subscribe(destination, onMessage, options = {}) {
    const spec = { id: `sub-${this.nextId++}`, destination, onMessage, options, lastId: null };
    this.subscriptions.set(spec.id, spec);
    if (this.connected) this.attach(spec);
    return {
      id: spec.id,
      unsubscribe: () => {
        this.subscriptions.delete(spec.id);
        if (this.connected) spec.handle?.unsubscribe();
      },
    };
  }

  attach(spec) {
    const headers = { id: spec.id, ...(spec.options.headers ?? {}) };
    if (spec.options.selector) headers.selector = spec.options.selector;
    const history = spec.options.history;
    if (spec.lastId !== null && history) headers['x-history-after'] = spec.lastId;
    else if (typeof history === 'number') headers['x-history-last'] = String(history);
    else if (history?.last !== undefined) headers['x-history-last'] = String(history.last);
    spec.handle = this.stomp.subscribe(
      spec.destination,
      (message) => {
        spec.lastId = message.headers['message-id'] ?? spec.lastId;
        spec.onMessage({
          destination: message.headers.destination,
          headers: message.headers,
          body: message.body,
          text: message.body,
        });
      },
      headers,
    );
  }

  publish(destination, body, options = {}) {
    if (!this.connected) return Promise.reject(new Error('not connected'));
    const headers = { ...(options.headers ?? {}) };
    if (!options.receipt) {
      this.stomp.publish({ destination, body, headers });
      return Promise.resolve();
    }
    const receipt = `r-${this.nextId++}`;
    headers.receipt = receipt;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('receipt timed out')), 10_000);
      this.stomp.watchForReceipt(receipt, () => {
        clearTimeout(timer);
        resolve();
      });
      this.stomp.publish({ destination, body, headers });
    });
  }

  async ping() {
    const began = performance.now();
    await this.publish('/topic/stompede.demo.ping', '', { receipt: true });
    return performance.now() - began;
  }

  close() {
    this.subscriptions.clear();
    return this.stomp.deactivate();
  }
}
