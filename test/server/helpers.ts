import { Writable } from 'node:stream';
import pg from 'pg';
import { diagnose } from '../../src/doctor/index.js';
import {
  type AppConfig,
  generateSecretKey,
  Keyring,
  parseSecretKey,
  type RunningServer,
  SecretValues,
  type ServerOptions,
  type StorageHandle,
  startServer,
} from '../../src/server/index.js';
import type { Diagnose } from '../../src/server/service.js';
import { DEMO } from '../helpers/emulator.js';

export { DEMO };

export const PG_URL =
  process.env.INTACCT_CONNECT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgReachable: Promise<boolean> | undefined;
/** Whether PostgreSQL answers; checked once per file. */
export function postgresAvailable(): Promise<boolean> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return pgReachable;
}

/**
 * Under CI the PostgreSQL suites must run, so an unreachable server fails them; elsewhere they are skipped
 * with a loud warning.
 */
export async function requirePostgres(): Promise<boolean> {
  if (await postgresAvailable()) return true;
  const message = `PostgreSQL is not reachable at ${PG_URL} (set INTACCT_CONNECT_TEST_POSTGRES_URL)`;
  if (process.env.CI === 'true') throw new Error(`${message}: the PostgreSQL tests cannot run under CI=true`);
  console.warn(`\n!!!! ${message}: SKIPPING the PostgreSQL server tests !!!!\n`);
  return false;
}

export function uniqueSchema(tag: string): string {
  return `ic_${tag}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Collects log lines in memory so tests can search them. */
export class LogCapture extends Writable {
  readonly chunks: string[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }
  get text(): string {
    return this.chunks.join('');
  }
}

/** The real doctor: every server test diagnoses against a real emulator. */
export async function realDiagnose(): Promise<Diagnose> {
  return diagnose;
}

export const API_KEY = 'ick_test_management_key_0123456789';

export interface TestServerOptions {
  engine: 'sqlite' | 'postgres';
  emulatorUrl: string;
  dir?: string;
  schema?: string;
  config?: Partial<AppConfig>;
  diagnose?: Diagnose;
  keyring?: Keyring;
  health?: ServerOptions['health'];
  webhooks?: ServerOptions['webhooks'];
  webDir?: string;
}

export interface TestServer extends RunningServer {
  logs: LogCapture;
  secrets: SecretValues;
  keyring: Keyring;
  api(
    method: string,
    path: string,
    body?: unknown,
    auth?: string | null,
    // biome-ignore lint/suspicious/noExplicitAny: tests read answer JSON loosely
  ): Promise<{ status: number; body: any; text: string; headers: Headers }>;
}

export function newKeyring(): Keyring {
  return new Keyring(parseSecretKey(generateSecretKey(), 'test'));
}

export async function startTestServer(o: TestServerOptions): Promise<TestServer> {
  const logs = new LogCapture();
  const secrets = new SecretValues();
  const keyring = o.keyring ?? newKeyring();
  const database = o.engine === 'sqlite' ? `sqlite:${o.dir}/server.db` : PG_URL;
  const server = await startServer({
    database,
    ...(o.schema ? { databaseSchema: o.schema } : {}),
    host: '127.0.0.1',
    port: 0,
    keyring,
    diagnose: o.diagnose ?? (await realDiagnose()),
    logDestination: logs,
    logLevel: 'debug',
    secrets,
    health: o.health ?? { enabled: false },
    webDir: o.webDir ?? '/nonexistent',
    ...(o.webhooks ? { webhooks: o.webhooks } : {}),
    config: {
      apiKey: API_KEY,
      senderId: DEMO.senderId,
      senderPassword: DEMO.senderPassword,
      endpointUrl: `${o.emulatorUrl}/ia/xml/xmlgw.phtml`,
      apiUrl: `${o.emulatorUrl}/ia/api/v1`,
      credentialLimit: { max: 1000, windowMs: 60_000 },
      ...o.config,
    },
  });
  const api: TestServer['api'] = async (method, path, body, auth = API_KEY) => {
    const headers: Record<string, string> = {};
    if (auth) headers.authorization = `Bearer ${auth}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
  return Object.assign(server, { logs, secrets, keyring, api });
}

/** Every text cell of every table, for secret scans. */
export async function dumpAllTables(storage: StorageHandle): Promise<string> {
  const tables = [
    'connections',
    'checks',
    'issues',
    'webhooks',
    'deliveries',
    'audit_log',
    'connect_sessions',
    'oauth_states',
  ] as const;
  const out: string[] = [];
  for (const t of tables) {
    const rows = await storage.db.selectFrom(t).selectAll().execute();
    out.push(JSON.stringify(rows));
  }
  return out.join('\n');
}

/** Reads a Server-Sent Events stream into its events. */
// biome-ignore lint/suspicious/noExplicitAny: tests read answer JSON loosely
export function parseSse(text: string): Array<{ event: string; data: any }> {
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      return { event, data: JSON.parse(data.join('\n')) };
    });
}
