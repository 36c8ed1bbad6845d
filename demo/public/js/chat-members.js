// Who is in a chat room, from the broker's presence events: `room.members`
// maps session+name to a member with a count (see memberKey), and
// distinctMembers folds that into one entry per person for display.

/**
 * Members are counted per session and name: one connection may hold the
 * same name twice for a moment (subscribing again), and a name change is
 * a join of the new name and a leave of the old one on the same session.
 */
function memberKey(member) {
  return `${member.session}\u0000${member.name}`;
}

export function addMember(room, member) {
  const key = memberKey(member);
  const known = room.members.get(key);
  if (known === undefined) room.members.set(key, { ...member, count: 1 });
  else known.count += 1;
}

export function removeMember(room, member) {
  const key = memberKey(member);
  const known = room.members.get(key);
  if (known === undefined) return;
  known.count -= 1;
  if (known.count <= 0) room.members.delete(key);
}

export function isPresent(room, name) {
  for (const member of room.members.values()) if (member.name === name) return true;
  return false;
}

/** Members by name: one entry per person, however many tabs. */
export function distinctMembers(room) {
  const byName = new Map();
  for (const member of room.members.values()) {
    const name = String(member.name ?? '').trim() || 'anonymous';
    const known = byName.get(name);
    if (known === undefined) byName.set(name, { name, since: member.since, sessions: 1 });
    else {
      known.sessions += 1;
      known.since = Math.min(known.since, member.since);
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
