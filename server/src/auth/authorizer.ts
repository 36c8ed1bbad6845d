/**
 * Per-destination access control in ActiveMQ's `authorizationEntries` style:
 * rules on destination patterns grant `read` (SUBSCRIBE, browse), `write`
 * (SEND) and `admin` (declaring or changing destinations) to groups, users
 * (`@name`) or everyone (`*`). Every rule whose pattern matches a destination
 * adds its grants; where none matches, `defaultPermissions` apply. Grants a
 * JWT carries in its permissions claim add to these.
 *
 * The pattern matcher comes from the caller (the broker's wildcard syntax
 * lives outside this module); the pattern `>` alone matches every destination.
 */
import {
  type AccessRule,
  ADMIN,
  type Permission,
  type Principal,
  permissionBit,
  READ,
  WRITE,
} from './types.js';

/** Whether destination pattern `pattern` covers `destination` (itself possibly a wildcard pattern). */
export type DestinationMatcher = (pattern: string, destination: string) => boolean;

/** Who a rule names for one permission. */
interface Holders {
  everyone: boolean;
  users: Set<string>;
  groups: Set<string>;
}

interface CompiledRule {
  match: string;
  read: Holders;
  write: Holders;
  admin: Holders;
}

export class Authorizer {
  private readonly rules: CompiledRule[];
  private readonly defaultBits: number;
  private readonly matches: DestinationMatcher;

  constructor(options: {
    rules: readonly AccessRule[];
    defaultPermissions: readonly Permission[];
    matcher: DestinationMatcher;
  }) {
    this.rules = options.rules.map((rule) => ({
      match: rule.match,
      read: holders(rule.read),
      write: holders(rule.write),
      admin: holders(rule.admin),
    }));
    this.defaultBits = options.defaultPermissions.reduce((bits, p) => bits | permissionBit(p), 0);
    this.matches = options.matcher;
  }

  /** The permission bits (READ | WRITE | ADMIN) `principal` has on `destination`. */
  permissions(principal: Principal, destination: string): number {
    let bits = 0;
    let matched = false;
    for (const rule of this.rules) {
      if (!this.covers(rule.match, destination)) continue;
      matched = true;
      if (holds(rule.read, principal)) bits |= READ;
      if (holds(rule.write, principal)) bits |= WRITE;
      if (holds(rule.admin, principal)) bits |= ADMIN;
    }
    if (!matched) bits = this.defaultBits;
    const grants = principal.grants;
    if (grants !== null) {
      if (grants.read.some((p) => this.covers(p, destination))) bits |= READ;
      if (grants.write.some((p) => this.covers(p, destination))) bits |= WRITE;
      if (grants.admin.some((p) => this.covers(p, destination))) bits |= ADMIN;
    }
    return bits;
  }

  can(principal: Principal, permission: Permission, destination: string): boolean {
    return (this.permissions(principal, destination) & permissionBit(permission)) !== 0;
  }

  private covers(pattern: string, destination: string): boolean {
    return pattern === '>' || this.matches(pattern, destination);
  }
}

function holders(names: readonly string[] | undefined): Holders {
  const out: Holders = { everyone: false, users: new Set(), groups: new Set() };
  for (const name of names ?? []) {
    if (name === '*') out.everyone = true;
    else if (name.startsWith('@')) out.users.add(name.slice(1));
    else out.groups.add(name);
  }
  return out;
}

function holds(who: Holders, principal: Principal): boolean {
  if (who.everyone) return true;
  if (!principal.anonymous && who.users.has(principal.name)) return true;
  for (const group of principal.groups) if (who.groups.has(group)) return true;
  return false;
}
