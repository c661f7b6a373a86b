import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  type Generated,
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
} from 'kysely';
import pg from 'pg';

/** Times are ISO-8601 UTC strings (same width, so they sort and compare as text in both engines). */
export interface ConnectionsTable {
  id: string;
  mode: string;
  company_id: string;
  user_id: string | null;
  entity_id: string | null;
  status: string;
  credentials: string;
  key_id: string;
  customer_ref: string | null;
  connect_session_id: string | null;
  created_at: string;
  updated_at: string;
  last_checked_at: string | null;
  next_check_at: string | null;
  /** Consecutive rate-limited checks, for backoff. */
  throttled_count: number;
  /** Set while a worker owns the check; a crashed worker's claim expires. */
  claimed_until: string | null;
  deleted_at: string | null;
}

export interface ChecksTable {
  id: string;
  connection_id: string;
  at: string;
  status: string;
  ok: number;
  round_trips: number;
  root_cause: string | null;
  trigger: string;
  report: string;
}

export interface IssuesTable {
  id: string;
  connection_id: string;
  cause: string;
  severity: string;
  title: string;
  status: string;
  opened_at: string;
  resolved_at: string | null;
  last_seen_at: string;
  reopened_count: number;
}

export interface WebhooksTable {
  id: string;
  url: string;
  secret: string;
  key_id: string;
  events: string;
  created_at: string;
  deleted_at: string | null;
}

export interface DeliveriesTable {
  id: string;
  webhook_id: string;
  event_id: string;
  event: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  claimed_until: string | null;
}

export interface AuditTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  connection_id: string | null;
  detail: string;
}

export interface ConnectSessionsTable {
  id: string;
  token_hash: string;
  customer_ref: string | null;
  created_at: string;
  expires_at: string;
  actor: string;
}

export interface OAuthStatesTable {
  state_hash: string;
  session_id: string | null;
  verifier: string;
  key_id: string;
  created_at: string;
  expires_at: string;
}

export interface DB {
  connections: ConnectionsTable;
  checks: ChecksTable;
  issues: IssuesTable;
  webhooks: WebhooksTable;
  deliveries: DeliveriesTable;
  audit_log: AuditTable;
  connect_sessions: ConnectSessionsTable;
  oauth_states: OAuthStatesTable;
}

export type Engine = 'sqlite' | 'postgres';

export interface Database_ {
  db: Kysely<DB>;
  engine: Engine;
  /** For SQLite: the file (or `:memory:`). */
  file?: string;
  url: string;
  schema?: string;
  close(): Promise<void>;
}
export type { Database_ as StorageHandle };

export class DatabaseUrlError extends Error {}

export interface ParsedDatabaseUrl {
  engine: Engine;
  file?: string;
  url: string;
}

/** `sqlite:PATH` (relative to cwd), `sqlite::memory:`, or `postgres://` / `postgresql://`. */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): ParsedDatabaseUrl {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { engine: 'postgres', url };
  if (url.startsWith('sqlite:')) {
    const rest = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!rest) throw new DatabaseUrlError(`--database ${url}: sqlite: needs a file path`);
    return { engine: 'sqlite', file: rest === ':memory:' ? rest : resolve(cwd, rest), url };
  }
  throw new DatabaseUrlError(`--database ${url}: expected sqlite:PATH or postgres://...`);
}

export interface OpenOptions {
  cwd?: string;
  /** PostgreSQL schema to use (created if missing); tests give each run its own. */
  schema?: string;
  poolSize?: number;
  migrate?: boolean;
}

export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database_> {
  const parsed = parseDatabaseUrl(url, options.cwd);
  let handle: Database_;
  if (parsed.engine === 'sqlite') {
    const file = parsed.file!;
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const sqlite = new Database(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    // FULL: an acknowledged write survives power loss, not only a process kill.
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
    handle = { db, engine: 'sqlite', file, url, close: () => db.destroy() };
  } else {
    const schema = options.schema;
    if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema))
      throw new DatabaseUrlError(`schema ${schema}: invalid name`);
    if (schema) {
      const client = new pg.Client({ connectionString: parsed.url });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      } finally {
        await client.end();
      }
    }
    const pool = new pg.Pool({
      connectionString: parsed.url,
      max: options.poolSize ?? 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    handle = { db, engine: 'postgres', url, ...(schema ? { schema } : {}), close: () => db.destroy() };
  }
  if (options.migrate !== false) await migrate(handle);
  return handle;
}

function migrationsFor(engine: Engine): Record<string, Migration> {
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('connections')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('mode', 'text', (c) => c.notNull())
          .addColumn('company_id', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text')
          .addColumn('entity_id', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('credentials', 'text', (c) => c.notNull())
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('customer_ref', 'text')
          .addColumn('connect_session_id', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('last_checked_at', 'text')
          .addColumn('next_check_at', 'text')
          .addColumn('throttled_count', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('claimed_until', 'text')
          .addColumn('deleted_at', 'text')
          .execute();
        await db.schema.createIndex('connections_due').on('connections').columns(['next_check_at']).execute();
        await db.schema
          .createTable('checks')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('connection_id', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('ok', 'integer', (c) => c.notNull())
          .addColumn('round_trips', 'integer', (c) => c.notNull())
          .addColumn('root_cause', 'text')
          .addColumn('trigger', 'text', (c) => c.notNull())
          .addColumn('report', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('checks_by_connection')
          .on('checks')
          .columns(['connection_id', 'at'])
          .execute();
        await db.schema
          .createTable('issues')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('connection_id', 'text', (c) => c.notNull())
          .addColumn('cause', 'text', (c) => c.notNull())
          .addColumn('severity', 'text', (c) => c.notNull())
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('opened_at', 'text', (c) => c.notNull())
          .addColumn('resolved_at', 'text')
          .addColumn('last_seen_at', 'text', (c) => c.notNull())
          .addColumn('reopened_count', 'integer', (c) => c.notNull().defaultTo(0))
          .addUniqueConstraint('issues_connection_cause', ['connection_id', 'cause'])
          .execute();
        await db.schema
          .createTable('webhooks')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('events', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('deleted_at', 'text')
          .execute();
        await db.schema
          .createTable('deliveries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('webhook_id', 'text', (c) => c.notNull())
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'text')
          .addColumn('last_status_code', 'integer')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('delivered_at', 'text')
          .addColumn('claimed_until', 'text')
          .execute();
        await db.schema
          .createIndex('deliveries_due')
          .on('deliveries')
          .columns(['status', 'next_attempt_at'])
          .execute();
        await db.schema
          .createTable('audit_log')
          .addColumn('id', engine === 'postgres' ? 'serial' : 'integer', (c) =>
            engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('connection_id', 'text')
          .addColumn('detail', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('connect_sessions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('customer_ref', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('oauth_states')
          .addColumn('state_hash', 'text', (c) => c.primaryKey())
          .addColumn('session_id', 'text')
          .addColumn('verifier', 'text', (c) => c.notNull())
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
  };
}

class InCodeMigrations implements MigrationProvider {
  constructor(private readonly engine: Engine) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrationsFor(this.engine);
  }
}

export async function migrate(handle: Database_): Promise<void> {
  const migrator = new Migrator({
    db: handle.db,
    provider: new InCodeMigrations(handle.engine),
    // Kysely looks the lock table up across schemas; pin it so parallel schemas do not confuse it.
    ...(handle.schema ? { migrationTableSchema: handle.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}`);
  }
}

export function nowIso(at: number = Date.now()): string {
  return new Date(at).toISOString();
}

export { sql };
