/**
 * ActiveMQ-style destination patterns: `.` separates segments, `*` matches
 * one segment, `>` matches one or more trailing segments. Used for policy
 * rules in the config and for wildcard durable subscriptions.
 * `/topic/logs.>` matches `/topic/logs.app` and `/topic/logs.app.web`.
 */
export function matchesPattern(pattern: string, destination: string): boolean {
  if (pattern === destination) return true;
  const slash = prefixEnd(pattern);
  if (slash < 0 || pattern.slice(0, slash) !== destination.slice(0, slash)) return false;
  const want = pattern.slice(slash).split('.');
  const have = destination.slice(slash).split('.');
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment === '>') return have.length > i;
    if (i >= have.length) return false;
    if (segment !== '*' && segment !== have[i]) return false;
  }
  return want.length === have.length;
}

/** Whether a destination name uses wildcard segments (`*` or `>`). */
export function isWildcard(destination: string): boolean {
  // Every SEND asks: answer the common case without splitting the name.
  if (destination.indexOf('*') === -1 && destination.indexOf('>') === -1) return false;
  const slash = prefixEnd(destination);
  if (slash < 0) return false;
  for (const segment of destination.slice(slash).split('.')) {
    if (segment === '*' || segment === '>') return true;
  }
  return false;
}

/** Index just after the type prefix (`/topic/`, `/queue/`), where segments start; -1 without one. */
function prefixEnd(name: string): number {
  if (!name.startsWith('/')) return 0;
  const second = name.indexOf('/', 1);
  if (second < 0) return -1;
  // `/exchange/amq.topic/KEY` and `/amq/queue/NAME` have a third slash before the name.
  if (name.startsWith('/exchange/') || name.startsWith('/amq/')) {
    const third = name.indexOf('/', second + 1);
    return third < 0 ? -1 : third + 1;
  }
  return second + 1;
}
