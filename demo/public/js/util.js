// Small DOM and formatting helpers shared by the views.

/** Create an element: h('li', { class: 'x', dataset: { id } }, 'text', child). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style') el.style.cssText = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function byId(id) {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`missing #${id}`);
  return el;
}

/** localStorage that tolerates being unavailable (private mode, file://). */
export const storage = {
  get(key, fallback) {
    try {
      const raw = localStorage.getItem(`stompede.demo.${key}`);
      return raw === null ? fallback : JSON.parse(raw);
    } catch {
      return fallback;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(`stompede.demo.${key}`, JSON.stringify(value));
    } catch {
      // Not persisted; the demo still works.
    }
  },
};

/** A stable hue (0-359) for a name: avatars and names keep their colour everywhere. */
export function hueOf(text) {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) | 0;
  return Math.abs(hash) % 360;
}

export function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const letters = words.length === 1 ? [...words[0]].slice(0, 2) : [words[0][0], words[1][0]];
  return letters.join('').toUpperCase();
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function formatClock(ms) {
  return clock.format(ms);
}

const pad2 = (n) => String(n).padStart(2, '0');

/** 14:03:07.123 in local time; cheap enough for thousands of log lines a second. */
export function formatLogTime(ms) {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function formatCount(n) {
  return n.toLocaleString('en-US');
}

/** "just now", "5 min", "2 h" since a time. */
export function since(ms, now = Date.now()) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.round(m / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}
