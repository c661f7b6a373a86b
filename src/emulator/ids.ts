import { randomBytes } from 'node:crypto';

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function token(length: number, alphabet = ALPHA): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

/** Session IDs in Sage fixtures and real captures end in `..`. */
export function newSessionId(): string {
  return `${token(32)}..`;
}

/** Support IDs arrive URL-encoded, with `%7E` for `~` (reference §2.7). */
export function newSupportId(): string {
  return `${token(10)}%7E${token(8)}-${token(7)}-${token(20)}AAAAM`;
}

/** Gateway Request IDs look like `AC47C2BE:D9EE_63EBC07F.59`. */
export function newRequestId(): string {
  const hex = '0123456789ABCDEF';
  return `${token(8, hex)}:${token(4, hex)}_${token(8, hex)}.${token(2, '0123456789')}`;
}

export function newResultId(): string {
  return `${token(6, '0123456789abcdef')}-${token(8, '0123456789abcdef')}`;
}
