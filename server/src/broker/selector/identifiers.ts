import { type Evaluate, type Headers, toBoolean, toNumber } from './values.js';

/** The static type an identifier always evaluates to (or null, for a missing header). */
export type IdentifierKind = 'string' | 'number' | 'boolean';

export interface Identifier {
  readonly kind: IdentifierKind;
  readonly read: Evaluate;
  /** For identifiers that read one header's string unchanged: that header's name. */
  readonly header: string | null;
}

const headerNumber =
  (name: string, absent: number): Evaluate =>
  (h: Headers) => {
    const s = h[name];
    if (s === undefined) return absent;
    const n = toNumber(s);
    return Number.isNaN(n) ? absent : n;
  };

const isTrue = (s: string | undefined): boolean => s !== undefined && toBoolean(s) === true;

/**
 * JMS header fields, mapped onto the STOMP headers that carry them (as ActiveMQ Classic's STOMP
 * support maps them). Numeric fields default when their header is absent or not a number, like
 * the primitive getters on javax.jms.Message (priority 4 being the JMS default).
 */
const JMS: Readonly<Record<string, Identifier>> = {
  JMSPriority: { kind: 'number', read: headerNumber('priority', 4), header: null },
  JMSTimestamp: { kind: 'number', read: headerNumber('timestamp', 0), header: null },
  JMSExpiration: { kind: 'number', read: headerNumber('expires', 0), header: null },
  JMSRedelivered: { kind: 'boolean', read: (h) => isTrue(h.redelivered), header: null },
  JMSDeliveryMode: {
    kind: 'string',
    read: (h) => (isTrue(h.persistent) ? 'PERSISTENT' : 'NON_PERSISTENT'),
    header: null,
  },
  JMSType: plainHeader('type'),
  JMSCorrelationID: plainHeader('correlation-id'),
  // ActiveMQ's STOMP support maps these two as well.
  JMSDestination: plainHeader('destination'),
  JMSReplyTo: plainHeader('reply-to'),
  JMSMessageID: plainHeader('message-id'),
  JMSXGroupID: plainHeader('JMSXGroupID'),
};

function plainHeader(name: string): Identifier {
  return {
    kind: 'string',
    read: (h) => {
      const s = h[name];
      return s === undefined ? null : s;
    },
    header: name,
  };
}

/**
 * What a selector identifier reads. Names are case-sensitive, as in JMS. A double-quoted name
 * always means the header of exactly that name; an unquoted JMS header name is mapped above.
 */
export function resolveIdentifier(name: string, quoted: boolean): Identifier {
  return !quoted && Object.hasOwn(JMS, name) ? JMS[name]! : plainHeader(name);
}
