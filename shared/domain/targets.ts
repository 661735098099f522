import { getDomain } from 'tldts';
import * as z from 'zod';

/** The granularity at which a source must link to a target (Moz v2 `scope`). */
export const TargetScope = z.enum(['page', 'subdomain', 'root_domain']);
export type TargetScope = z.infer<typeof TargetScope>;

/** The granularity of the sources Moz returns (Moz v2 `source_scope`). */
export const SourceScope = z.enum(['page', 'root_domain']);
export type SourceScope = z.infer<typeof SourceScope>;

export interface Target {
  target: string;
  scope: TargetScope;
}

/** Raised when a target cannot be made into something Moz accepts. The message never repeats huge input. */
export class TargetError extends Error {
  override name = 'TargetError';
}

const MAX_TARGET_LENGTH = 2048;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
// A scheme written without "//" (javascript:, tel:, data:): a colon not followed by a port number.
const OPAQUE_SCHEME = /^([a-z][a-z0-9+.-]*:)(?!\d*$)/i;
// `word:digits` reads as host:port, except after these registered non-web schemes (tel:123, sms:123),
// whose prefix is never a host name anyone means to target.
const NON_WEB_SCHEME = /^((?:tel|sms|mailto|fax|callto|geo|urn|news):)/i;
// Control characters and any kind of white space are never part of a target.
const FORBIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u0020\u007f-\u009f\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]/u;

/**
 * Normalizes a target the way Moz expects it: no scheme, lower-case host,
 * IDN hosts as punycode, non-ASCII path characters percent-encoded.
 * `www.` is dropped from root_domain targets, which Moz resolves to the registrable domain anyway.
 * Ports, credentials, fragments and white space are refused rather than guessed at.
 */
export function normalizeTarget(raw: string, scope: TargetScope): string {
  const input = raw.trim();
  if (input.length === 0) throw new TargetError('must not be empty');
  if (input.length > MAX_TARGET_LENGTH)
    throw new TargetError(`must be at most ${MAX_TARGET_LENGTH} characters`);
  if (FORBIDDEN.test(input)) throw new TargetError('must not contain spaces or control characters');
  const schemeMatch = SCHEME.exec(input);
  if (schemeMatch && !/^https?:\/\/$/i.test(schemeMatch[0])) {
    throw new TargetError(`scheme ${schemeMatch[0]} is not supported; use a domain or an http(s) URL`);
  }
  const withoutScheme = input.replace(SCHEME, '');
  if (withoutScheme.includes('#')) throw new TargetError('must not contain a fragment (#...)');

  const pathStart = withoutScheme.search(/[/?]/);
  const authority = pathStart === -1 ? withoutScheme : withoutScheme.slice(0, pathStart);
  const rest = pathStart === -1 ? '' : withoutScheme.slice(pathStart);
  if (authority.includes('@')) throw new TargetError('must not contain credentials (user@host)');
  const opaqueScheme = NON_WEB_SCHEME.exec(authority) ?? OPAQUE_SCHEME.exec(authority);
  if (opaqueScheme) {
    throw new TargetError(`scheme ${opaqueScheme[1]} is not supported; use a domain or an http(s) URL`);
  }
  if (authority.includes(':')) throw new TargetError('must not contain a port');

  let host = toAsciiHost(authority);
  const path = normalizePath(rest);

  if (scope !== 'page' && path !== '') {
    throw new TargetError(
      `a ${scope} target must not have a path or query (got "${truncate(rest)}"); use scope "page"`,
    );
  }
  if (scope === 'root_domain') host = getDomain(host) ?? host.replace(/^www\./, '');
  return host + path;
}

/** The registrable (root) domain of a source URL or host, e.g. `www.google.co.uk/amp/x` → `google.co.uk`. */
export function rootDomainOf(source: string): string {
  const host = hostOf(source);
  return getDomain(host) ?? host;
}

/** The host part of a scheme-less (or schemed) URL, lower-cased. */
export function hostOf(source: string): string {
  const withoutScheme = source.trim().replace(SCHEME, '');
  const end = withoutScheme.search(/[/?#:]/);
  return (end === -1 ? withoutScheme : withoutScheme.slice(0, end)).toLowerCase();
}

function toAsciiHost(authority: string): string {
  if (authority === '') throw new TargetError('must start with a host name');
  let ascii: string;
  try {
    // WHATWG URL parsing applies UTS #46: lower-casing and IDN to punycode.
    ascii = new URL(`http://${authority}`).hostname;
  } catch {
    throw new TargetError(`"${truncate(authority)}" is not a valid host name`);
  }
  // WHATWG URL parsing rewrites every IPv4 spelling (127.1, 0x7f.0.0.1, 2130706433) as a dotted quad.
  if (ascii.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(ascii))
    throw new TargetError('must be a domain name, not an IP address');
  const labels = ascii.replace(/\.$/, '').split('.');
  // '..', '.' or '%2e%2e' (a path, not a host): an empty label is never a host name.
  if (labels.some((label) => label === ''))
    throw new TargetError(`"${truncate(authority)}" is not a valid host name`);
  if (labels.length < 2) throw new TargetError(`"${truncate(ascii)}" is not a domain name (it has no dot)`);
  if (ascii.length > 253 || !labels.every((label) => LABEL.test(label))) {
    throw new TargetError(`"${truncate(ascii)}" is not a valid host name`);
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? ''))
    throw new TargetError('must end in a top-level domain');
  return labels.join('.');
}

function normalizePath(rest: string): string {
  if (rest === '' || rest === '/') return '';
  // The URL parser percent-encodes non-ASCII characters and keeps existing escapes as they are.
  const url = new URL(`http://placeholder.invalid${rest.startsWith('/') ? '' : '/'}${rest}`);
  return url.pathname + url.search;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
