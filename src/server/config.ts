import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateSecretKey } from './crypto.js';
import { parseDatabaseUrl } from './db.js';

export class ConfigError extends Error {}

export const DEFAULT_DATABASE = 'sqlite:./data/intacct-connect.db';

/** `N/SECONDS`, e.g. `20/600`. */
export function parseRate(value: string, name: string): { max: number; windowMs: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1)
    throw new ConfigError(`${name}=${value}: expected N/SECONDS, e.g. 20/600`);
  return { max: Number(m[1]), windowMs: Number(m[2]) * 1000 };
}

export function parsePositiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1)
    throw new ConfigError(`${name}=${value}: expected a positive whole number`);
  return Number(value);
}

/** Space- or comma-separated CSP sources, e.g. `'self' https://app.example.com`; `none` forbids framing. */
export function parseFrameAncestors(value: string | undefined): string[] {
  if (!value) return ["'self'"];
  const items = value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 1 && /^'?none'?$/.test(items[0]!)) return [];
  for (const item of items) {
    if (!/^('self'|https?:\/\/[A-Za-z0-9.*:[\]-]+|[A-Za-z0-9.*-]+(:\d+)?)$/.test(item)) {
      throw new ConfigError(
        `INTACCT_CONNECT_FRAME_ANCESTORS: "${item}" is not a CSP source ('self', https://host, host)`,
      );
    }
  }
  return items;
}

/** Where `--demo` keeps its generated key: beside the SQLite file, or under ./data for PostgreSQL. */
export function demoKeyFile(database: string, cwd: string): string {
  const parsed = parseDatabaseUrl(database, cwd);
  if (parsed.engine === 'sqlite' && parsed.file && parsed.file !== ':memory:')
    return `${parsed.file}.secret-key`;
  return join(cwd, 'data', 'intacct-connect.secret-key');
}

/** Reads the key file, creating it (mode 0600) with a fresh key when missing. */
export function readOrCreateKeyFile(file: string): { key: string; created: boolean } {
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), created: false };
  mkdirSync(dirname(file), { recursive: true });
  const key = generateSecretKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key, created: true };
}

export function writeKeyFile(file: string, key: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
