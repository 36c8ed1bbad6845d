// Chat: rooms are topics /topic/chat.<room>. Joining subscribes with
// `x-presence:<name>` (so the broker lists us under /topic/$presence.chat.<room>)
// and asks for the room's recent history; messages are plain text with the
// sender in `x-sender`.
import { addMember, distinctMembers, isPresent, removeMember } from './chat-members.js';
import { byId, formatClock, h, hueOf, initials, since, storage } from './util.js';

const HISTORY = 50;
const ROOM_RE = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const GROUP_WINDOW_MS = 5 * 60_000;
const ADJECTIVES = ['Swift', 'Quiet', 'Brave', 'Lucky', 'Clever', 'Sunny', 'Witty', 'Gentle'];
const ANIMALS = ['Otter', 'Falcon', 'Lynx', 'Panda', 'Heron', 'Fox', 'Marten', 'Ibex'];

function randomName() {
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  return `${pick(ADJECTIVES)} ${pick(ANIMALS)}`;
}

export function normalizeRoom(input) {
  const room = input.trim().replace(/^#/, '').toLowerCase().replace(/\s+/g, '-');
  return ROOM_RE.test(room) ? room : null;
}

function avatar(name, extraClass = '') {
  return h(
    'span',
    { class: `avatar ${extraClass}`, style: `--hue: ${hueOf(name)}`, 'aria-hidden': 'true' },
    initials(name),
  );
}

export function createChat({ connection, history, announce }) {
  const el = {
    nameForm: byId('name-form'),
    nameInput: byId('name-input'),
    roomList: byId('room-list'),
    joinForm: byId('join-form'),
    joinInput: byId('join-input'),
    joinError: byId('join-error'),
    title: byId('room-title'),
    topic: byId('room-topic'),
    leave: byId('leave-room'),
    lists: byId('message-lists'),
    composer: byId('composer'),
    input: byId('message-input'),
    send: byId('send-button'),
    presenceList: byId('presence-list'),
    presenceCount: byId('presence-count'),
    presenceRoom: byId('presence-room'),
    presenceTopic: byId('presence-topic'),
  };

  const state = {
    name: storage.get('name', null),
    rooms: new Map(),
    active: null,
    client: null,
  };
  if (typeof state.name !== 'string' || state.name.trim() === '') {
    state.name = randomName();
    storage.set('name', state.name);
  }
  /** Every name this page has used: presence notes about them would be about ourselves. */
  const myNames = new Set([state.name]);

  // ── name ───────────────────────────────────────────────────────────────

  el.nameInput.value = state.name;
  el.nameForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = el.nameInput.value.trim().replace(/\s+/g, ' ').slice(0, 32);
    if (name === '' || name === state.name) {
      el.nameInput.value = state.name;
      return;
    }
    state.name = name;
    myNames.add(name);
    storage.set('name', name);
    el.nameInput.value = name;
    announce(`You are now ${name}`);
    // Announce the new name: subscribe again with the new x-presence.
    for (const room of state.rooms.values()) subscribeRoom(room);
    renderPresence();
  });

  // ── rooms ──────────────────────────────────────────────────────────────

  el.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const room = normalizeRoom(el.joinInput.value);
    if (room === null) {
      el.joinError.textContent = 'Letters, digits, - and _ only (up to 40).';
      el.joinInput.setAttribute('aria-invalid', 'true');
      return;
    }
    el.joinError.textContent = '';
    el.joinInput.removeAttribute('aria-invalid');
    el.joinInput.value = '';
    join(room);
    activate(room);
  });

  el.leave.addEventListener('click', () => {
    if (state.active !== null && state.rooms.size > 1) leave(state.active);
  });

  function saveRooms() {
    storage.set('rooms', [...state.rooms.keys()]);
    storage.set('activeRoom', state.active);
  }

  function join(name) {
    if (state.rooms.has(name)) return state.rooms.get(name);
    const list = h('ol', {
      class: 'messages',
      role: 'log',
      'aria-label': `Messages in #${name}`,
      hidden: true,
    });
    const notice = h(
      'li',
      { class: 'notice' },
      `You joined #${name}. History shows the last ${HISTORY} messages.`,
    );
    list.append(notice);
    const room = {
      name,
      topic: `/topic/chat.${name}`,
      list,
      notice,
      members: new Map(),
      /** session → { name, timer }: leaves not announced yet (a rename is a leave and a join). */
      leaving: new Map(),
      seen: new Set(),
      unread: 0,
      messageSub: null,
      presenceSub: null,
      generation: 0,
    };
    state.rooms.set(name, room);
    el.lists.append(list);
    subscribeRoom(room);
    renderRooms();
    saveRooms();
    return room;
  }

  function leave(name) {
    const room = state.rooms.get(name);
    if (room === undefined) return;
    room.generation++;
    drop(room.messageSub);
    drop(room.presenceSub);
    for (const pending of room.leaving.values()) clearTimeout(pending.timer);
    room.list.remove();
    state.rooms.delete(name);
    if (state.active === name) activate(state.rooms.keys().next().value);
    renderRooms();
    saveRooms();
  }

  function activate(name) {
    const room = state.rooms.get(name);
    if (room === undefined) return;
    state.active = name;
    room.unread = 0;
    for (const other of state.rooms.values()) other.list.hidden = other !== room;
    el.title.textContent = `#${name}`;
    el.topic.textContent = room.topic;
    el.input.placeholder = `Message #${name}`;
    el.leave.disabled = state.rooms.size <= 1;
    el.presenceRoom.textContent = `#${name}`;
    el.presenceTopic.textContent = `/topic/$presence.chat.${name}`;
    renderRooms();
    renderPresence();
    scrollToEnd(room, true);
    saveRooms();
  }

  function renderRooms() {
    el.roomList.replaceChildren(
      ...[...state.rooms.values()].map((room) => {
        const people = distinctMembers(room).length;
        const button = h(
          'button',
          {
            type: 'button',
            class: 'room-button',
            'aria-current': room.name === state.active ? 'true' : null,
            onclick: () => activate(room.name),
          },
          h('span', { class: 'room-hash', 'aria-hidden': 'true' }, '#'),
          h('span', { class: 'room-name' }, room.name),
          people > 0
            ? h('span', { class: 'room-people', title: `${people} here` }, String(people))
            : null,
          room.unread > 0
            ? h(
                'span',
                { class: 'badge', 'aria-label': `${room.unread} unread` },
                String(room.unread),
              )
            : null,
        );
        return h('li', {}, button);
      }),
    );
    el.leave.disabled = state.rooms.size <= 1;
  }

  // ── subscriptions ──────────────────────────────────────────────────────

  function drop(sub) {
    try {
      sub?.unsubscribe?.();
    } catch {
      // Gone with its connection already.
    }
  }

  /** (Re)subscribe a room: presence first, so our own join reaches us in the snapshot or as an event. */
  function subscribeRoom(room) {
    const client = state.client;
    if (client === null) return;
    drop(room.presenceSub);
    drop(room.messageSub);
    const generation = ++room.generation;
    room.presenceSub = client.subscribe(`/topic/$presence.chat.${room.name}`, (message) => {
      if (generation === room.generation) onPresence(room, message);
    });
    const options = { headers: { 'x-presence': state.name } };
    if (history.enabled) options.history = { last: HISTORY };
    room.messageSub = client.subscribe(
      room.topic,
      (message) => {
        if (generation === room.generation) onMessage(room, message);
      },
      options,
    );
  }

  // ── messages ───────────────────────────────────────────────────────────

  function onMessage(room, message) {
    const headers = message.headers ?? {};
    const id = headers['message-id'];
    if (id !== undefined) {
      if (room.seen.has(id)) return;
      room.seen.add(id);
    }
    const sender = (headers['x-sender'] ?? '').trim() || 'anonymous';
    const text = typeof message.text === 'string' ? message.text : String(message.body ?? '');
    const sent = Number(headers['x-sent-at']);
    const time = Number.isFinite(sent) && sent > 0 ? sent : Date.now();
    const replayed = headers['x-history'] === 'true';
    const nearEnd = isNearEnd();

    const previous = replayed ? room.notice.previousElementSibling : room.list.lastElementChild;
    const continued =
      previous?.dataset.sender === sender && time - Number(previous.dataset.time) < GROUP_WINDOW_MS;
    const mine = sender === state.name;
    const item = h(
      'li',
      {
        class: `msg${mine ? ' mine' : ''}${continued ? ' continued' : ''}${replayed ? ' replayed' : ''}`,
        dataset: { sender, time: String(time) },
        style: `--hue: ${hueOf(sender)}`,
      },
      avatar(sender),
      h(
        'div',
        { class: 'msg-body' },
        h(
          'div',
          { class: 'msg-meta' },
          h('span', { class: 'msg-author' }, sender),
          h('time', { datetime: new Date(time).toISOString() }, formatClock(time)),
        ),
        h('p', { class: 'msg-text' }, text),
      ),
    );
    if (replayed) room.list.insertBefore(item, room.notice);
    else room.list.append(item);
    trimList(room);

    const visible = room.name === state.active && !document.hidden;
    if (!replayed && !visible) {
      room.unread += 1;
      renderRooms();
    }
    if (room.name === state.active) scrollToEnd(room, nearEnd || mine);
  }

  function trimList(room) {
    while (room.list.childElementCount > 500) room.list.firstElementChild.remove();
  }

  function isNearEnd() {
    const scroller = el.lists;
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  function scrollToEnd(room, force) {
    if (room.name !== state.active || !force) return;
    el.lists.scrollTop = el.lists.scrollHeight;
  }

  function systemNote(room, text) {
    const nearEnd = isNearEnd();
    room.list.append(h('li', { class: 'notice small' }, text));
    if (room.name === state.active) scrollToEnd(room, nearEnd);
  }

  el.composer.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = el.input.value.trim();
    const room = state.rooms.get(state.active);
    if (text === '' || room === undefined) return;
    if (state.client === null || connection.status.state !== 'connected') {
      announce('Not connected: the message was not sent.');
      return;
    }
    el.input.value = '';
    el.send.disabled = true;
    try {
      await state.client.publish(room.topic, text, {
        headers: {
          'content-type': 'text/plain',
          'x-sender': state.name,
          'x-sent-at': String(Date.now()),
        },
        receipt: true,
      });
    } catch (err) {
      if (el.input.value === '') el.input.value = text;
      announce(`Not sent: ${err?.message ?? err}`);
    } finally {
      el.send.disabled = false;
      el.input.focus();
    }
  });

  // ── presence ───────────────────────────────────────────────────────────

  function onPresence(room, message) {
    let event;
    try {
      event =
        typeof message.body === 'object' && message.body !== null
          ? message.body
          : JSON.parse(message.text);
    } catch {
      return;
    }
    if (event.type === 'snapshot' && Array.isArray(event.members)) {
      room.members = new Map();
      for (const member of event.members) addMember(room, member);
    } else if (event.type === 'join' && event.member) {
      const { name, session } = event.member;
      const present = isPresent(room, name);
      addMember(room, event.member);
      const left = room.leaving.get(session);
      if (left !== undefined) {
        // The same connection left under another name a moment ago: a rename.
        clearTimeout(left.timer);
        room.leaving.delete(session);
        if (left.name !== name && !myNames.has(name))
          systemNote(room, `${left.name} is now ${name}`);
      } else if (!present && !myNames.has(name)) {
        systemNote(room, `${name} joined`);
      }
    } else if (event.type === 'leave' && event.member) {
      const { name, session } = event.member;
      removeMember(room, event.member);
      if (!isPresent(room, name) && !myNames.has(name)) {
        // Said a moment later, unless the same connection joins again (a rename).
        const timer = setTimeout(() => {
          room.leaving.delete(session);
          if (!isPresent(room, name)) systemNote(room, `${name} left`);
        }, 1500);
        room.leaving.set(session, { name, timer });
      }
    } else {
      return;
    }
    renderRooms();
    if (room.name === state.active) renderPresence();
  }

  function renderPresence() {
    const room = state.rooms.get(state.active);
    const members = room === undefined ? [] : distinctMembers(room);
    el.presenceCount.textContent = String(members.length);
    if (members.length === 0) {
      el.presenceList.replaceChildren(h('li', { class: 'presence-empty' }, 'Nobody yet'));
      return;
    }
    el.presenceList.replaceChildren(
      ...members.map((member) =>
        h(
          'li',
          { class: 'presence-member', dataset: { name: member.name } },
          avatar(member.name, 'small'),
          h(
            'span',
            { class: 'presence-name' },
            member.name,
            member.name === state.name ? h('span', { class: 'you' }, ' (you)') : null,
          ),
          h(
            'span',
            { class: 'presence-meta' },
            member.sessions > 1 ? `${member.sessions} tabs · ` : '',
            since(member.since),
          ),
        ),
      ),
    );
  }
  setInterval(renderPresence, 30_000);

  document.addEventListener('visibilitychange', () => {
    const room = state.rooms.get(state.active);
    if (!document.hidden && room !== undefined && room.unread > 0) {
      room.unread = 0;
      renderRooms();
    }
  });

  // ── start ──────────────────────────────────────────────────────────────

  const saved = storage.get('rooms', ['lobby']);
  const initial = (Array.isArray(saved) ? saved : ['lobby'])
    .map((r) => normalizeRoom(String(r)))
    .filter((r) => r !== null);
  if (initial.length === 0) initial.push('lobby');
  for (const name of initial) join(name);
  const activeRoom = normalizeRoom(String(storage.get('activeRoom', initial[0])));
  activate(activeRoom !== null && state.rooms.has(activeRoom) ? activeRoom : initial[0]);

  connection.onClient((client) => {
    state.client = client;
    for (const room of state.rooms.values()) subscribeRoom(room);
  });

  return {
    get name() {
      return state.name;
    },
    /** The broker keeps no history here: subscribe again without asking for it. */
    historyUnavailable() {
      for (const room of state.rooms.values()) subscribeRoom(room);
    },
    join(name) {
      const room = normalizeRoom(name);
      if (room !== null) {
        join(room);
        activate(room);
      }
    },
  };
}
