/**
 * Client-certificate logins (mutual TLS), in the manner of ActiveMQ's
 * certificate login modules: the TLS layer has already verified the
 * certificate against the configured CA; here its subject names a user of
 * the users file, whose groups then apply as for a passcode login.
 *
 * - `userFrom: 'cn'`: the subject's common name is the user name.
 * - `userFrom: 'dn'`: the whole subject DN is looked up in `dnUsers`
 *   (ActiveMQ's TextCertificateLoginModule keeps the same user → DN table).
 */
import type { ClientCertificateOptions } from './types.js';

/** What the auth layer needs of a verified client certificate. */
export interface CertificateIdentity {
  /** Subject common name (CN); '' when the subject has none. */
  commonName: string;
  /** Subject DN in any of the spellings normaliseDn reads (OpenSSL's one attribute per line, say). */
  distinguishedName: string;
}

/**
 * A DN in one canonical form, so the config may spell it as RFC 4514
 * (`CN=alice,O=Acme`), OpenSSL's `/O=Acme/CN=alice`, or one attribute per
 * line as node prints it: attribute types upper-cased, whitespace around
 * `=` and separators dropped, attributes sorted (the spellings list them in
 * opposite orders, and a subject names each attribute once in practice).
 */
export function normaliseDn(dn: string): string {
  const text = dn.trim();
  let parts: string[];
  if (text.startsWith('/')) parts = text.slice(1).split('/');
  else if (text.includes('\n')) parts = text.split('\n');
  else parts = splitUnescaped(text, ',');
  const attributes: string[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const type = part.slice(0, eq).trim().toUpperCase();
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/\\(.)/g, '$1');
    attributes.push(`${type}=${value}`);
  }
  return attributes.sort().join('\n');
}

/** Whether `dn` has at least one TYPE=value attribute (config validation). */
export function isDistinguishedName(dn: string): boolean {
  return normaliseDn(dn) !== '';
}

function splitUnescaped(text: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (ch === separator) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out;
}

/**
 * Maps verified certificates to user names per the options. Built once; the
 * DN table is normalised up front so a login costs one map lookup.
 */
export class CertificateMapper {
  private readonly userFrom: ClientCertificateOptions['userFrom'];
  private readonly byDn = new Map<string, string>();

  constructor(options: ClientCertificateOptions) {
    this.userFrom = options.userFrom;
    for (const [dn, user] of Object.entries(options.dnUsers)) this.byDn.set(normaliseDn(dn), user);
  }

  /** The user the certificate names, or null when it names none. */
  userOf(certificate: CertificateIdentity): string | null {
    if (this.userFrom === 'cn')
      return certificate.commonName === '' ? null : certificate.commonName;
    return this.byDn.get(normaliseDn(certificate.distinguishedName)) ?? null;
  }

  /** The certificate's subject for log lines. */
  static describe(certificate: CertificateIdentity): string {
    return normaliseDn(certificate.distinguishedName).replaceAll('\n', ',').slice(0, 200);
  }
}
