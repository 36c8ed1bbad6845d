// Confirmation before every action, and short notes after it.
import { h } from './dom.js';

/** Ask before a destructive action; resolves true when confirmed. */
export function confirmAction({ title, text, action = 'Confirm' }) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = action;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

export function toast(message, kind = 'ok') {
  const note = h(
    'div',
    { class: `toast ${kind}`, role: kind === 'bad' ? 'alert' : 'status' },
    message,
  );
  document.getElementById('toasts').append(note);
  setTimeout(() => note.remove(), kind === 'bad' ? 8000 : 4000);
}

/** Run an action after confirmation; report its outcome. */
export async function act({ title, text, action, run, done }) {
  if (!(await confirmAction({ title, text, action }))) return;
  try {
    const answer = await run();
    toast(done(answer));
  } catch (err) {
    toast(err.message, 'bad');
  }
}
