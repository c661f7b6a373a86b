import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A 32-byte AES key and the id stored beside every ciphertext made with it. */
export interface SecretKey {
  id: string;
  key: Buffer;
}

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/**
 * Parses a base64 key. `source` names where it came from (an env var or a file) so a bad key is reported
 * without ever echoing its value.
 */
export function parseSecretKey(value: string, source: string): SecretKey {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new SecretKeyError(`${source} is not base64 (expected 32 random bytes, base64-encoded)`);
  }
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== 32) {
    throw new SecretKeyError(`${source} decodes to ${key.length} bytes; AES-256 needs exactly 32`);
  }
  return { id: keyId(key), key };
}

/** The id is a hash prefix, so it names the key without revealing anything usable about it. */
export function keyId(key: Buffer): string {
  return `k${createHash('sha256').update('intacct-connect key id').update(key).digest('hex').slice(0, 12)}`;
}

export function generateSecretKey(): string {
  return randomBytes(32).toString('base64');
}

export interface Sealed {
  keyId: string;
  blob: string;
}

/** The current key encrypts; older keys stay available for reading until `keys rotate` re-encrypts. */
export class Keyring {
  private readonly byId = new Map<string, SecretKey>();

  constructor(
    readonly current: SecretKey,
    old: SecretKey[] = [],
  ) {
    for (const k of [current, ...old]) this.byId.set(k.id, k);
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  seal(plaintext: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // The key id is bound as associated data so a blob cannot be relabelled to another key.
    cipher.setAAD(Buffer.from(this.current.id));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    const b = (x: Buffer) => x.toString('base64url');
    return { keyId: this.current.id, blob: `v1.${this.current.id}.${b(iv)}.${b(tag)}.${b(ct)}` };
  }

  open(blob: string): string {
    const parts = blob.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1')
      throw new SecretKeyError('stored ciphertext has an unknown format');
    const [, id, iv, tag, ct] = parts as [string, string, string, string, string];
    const key = this.byId.get(id);
    if (!key) {
      throw new SecretKeyError(
        `stored credentials were encrypted with key ${id}, which is neither INTACCT_CONNECT_SECRET_KEY nor in INTACCT_CONNECT_OLD_SECRET_KEYS`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretKeyError(
        `stored ciphertext under key ${id} failed authentication (tampered or wrong key)`,
      );
    }
  }

  sealJson(value: unknown): Sealed {
    return this.seal(JSON.stringify(value));
  }

  openJson<T>(blob: string): T {
    return JSON.parse(this.open(blob)) as T;
  }
}

export function keyringFromEnv(env: NodeJS.ProcessEnv, fallbackKey?: string): Keyring {
  const raw = env.INTACCT_CONNECT_SECRET_KEY ?? fallbackKey;
  if (!raw) throw new SecretKeyError('INTACCT_CONNECT_SECRET_KEY is not set (32 random bytes, base64)');
  const current = parseSecretKey(
    raw,
    env.INTACCT_CONNECT_SECRET_KEY ? 'INTACCT_CONNECT_SECRET_KEY' : 'the key file',
  );
  const old = (env.INTACCT_CONNECT_OLD_SECRET_KEYS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s, i) => parseSecretKey(s, `INTACCT_CONNECT_OLD_SECRET_KEYS item ${i + 1}`));
  return new Keyring(current, old);
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Compares through fixed-length digests so neither length nor content leaks through timing. */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

export function randomToken(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}
