// Stateless, verifiable next_token: base64url(offset as uint32 BE ‖ HMAC prefix).
// The HMAC covers the seed (as key), the query fingerprint, the simulated month
// and the offset, so the same query at the same position in the same month
// always yields the same token, and a token from another query, another month,
// or with a flipped bit is rejected.
import { createHmac } from 'node:crypto';

const MAC_BYTES = 12;

function mac(secret: string, fingerprint: string, month: string, offset: number): Buffer {
  return createHmac('sha256', secret)
    .update(`${fingerprint}\n${month}\n${offset}`)
    .digest()
    .subarray(0, MAC_BYTES);
}

export function mintToken(secret: string, fingerprint: string, month: string, offset: number): string {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(offset);
  return Buffer.concat([head, mac(secret, fingerprint, month, offset)]).toString('base64url');
}

/** The offset the token points at, or null when it is unknown, tampered or stale. */
export function readToken(secret: string, token: string, fingerprint: string, month: string): number | null {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return null;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== 4 + MAC_BYTES) return null;
  const offset = bytes.readUInt32BE(0);
  return mac(secret, fingerprint, month, offset).equals(bytes.subarray(4)) ? offset : null;
}
