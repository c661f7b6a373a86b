import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { packagePath } from '../shared/paths.js';
import { type AppConfig, type AppDeps, buildApp, type OAuthProvider } from './app.js';
import type { Keyring } from './crypto.js';
import { openDatabase, type StorageHandle } from './db.js';
import { type HealthRunner, LocalHealthRunner, PgBossHealthRunner } from './health.js';
import { createLogger, SecretValues } from './log.js';
import { loadDiagnose, loadExplain, loadHelp } from './modules.js';
import { createOAuthProvider } from './oauth.js';
import type { ConnectionService, Diagnose } from './service.js';
import { PgAdvisorySlots } from './slots.js';

export type { AppConfig, AppDeps, BuiltApp, Explain, HelpProvider, OAuthProvider } from './app.js';
export { buildApp, contentSecurityPolicy } from './app.js';
export { generateSecretKey, Keyring, keyringFromEnv, parseSecretKey, SecretKeyError } from './crypto.js';
export { openDatabase, parseDatabaseUrl, type StorageHandle } from './db.js';
export { claimDue, HEALTH_QUEUE, LocalHealthRunner, PgBossHealthRunner } from './health.js';
export { KeyedSemaphore, RateLimiter } from './limits.js';
export { createLogger, SecretValues } from './log.js';
export { rotateKeys } from './rotate.js';
export { ConnectionService, type Diagnose, scrubReport } from './service.js';
export { type CompanyGate, PgAdvisorySlots } from './slots.js';
export {
  SIGNATURE_HEADER,
  signatureHeader,
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_EVENTS,
  type WebhookEvent,
} from './webhooks.js';

export interface HealthSettings {
  /** Default true. */
  enabled?: boolean;
  pollMs?: number;
  /** Checks in flight on this node. */
  concurrency?: number;
  leaseMs?: number;
  /** PostgreSQL only: pg-boss schema (default `pgboss`). */
  bossSchema?: string;
}

export interface ServerOptions {
  /** `sqlite:PATH` or `postgres://...`. */
  database: string;
  /** PostgreSQL schema for our tables (tests use one per run); default the connection's search_path. */
  databaseSchema?: string;
  cwd?: string;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  config: AppConfig;
  keyring: Keyring;
  /** Default: the doctor's diagnose(). */
  diagnose?: Diagnose;
  oauth?: OAuthProvider;
  logger?: Logger;
  /** Where log lines go when no logger is given; default stdout. */
  logDestination?: NodeJS.WritableStream;
  logLevel?: string;
  secrets?: SecretValues;
  health?: HealthSettings;
  /** The built UI; default dist/web. */
  webDir?: string;
  webhooks?: AppDeps['webhooks'];
  /** Check history older than this is deleted (the latest check of each connection always stays); default 90. */
  checkHistoryDays?: number;
  /** PostgreSQL: hold the 2-per-company cap across every node with advisory locks (default true). */
  sharedCompanyLimit?: boolean;
}

/** Deletes expired connect sessions and OAuth states, and check history older than `historyDays`. */
export async function pruneExpired(storage: StorageHandle, historyDays: number): Promise<void> {
  const now = new Date().toISOString();
  await storage.db.deleteFrom('connect_sessions').where('expires_at', '<', now).execute();
  await storage.db.deleteFrom('oauth_states').where('expires_at', '<', now).execute();
  const cutoff = new Date(Date.now() - historyDays * 86_400_000).toISOString();
  await storage.db
    .deleteFrom('checks')
    .where('at', '<', cutoff)
    // The connection's latest check stays, so last_checked_at always matches a history entry.
    .where(({ eb, selectFrom }) =>
      eb(
        'at',
        '<',
        selectFrom('connections')
          .select('last_checked_at')
          .whereRef('connections.id', '=', 'checks.connection_id'),
      ),
    )
    .execute();
}

export interface RunningServer {
  url: string;
  port: number;
  app: FastifyInstance;
  service: ConnectionService;
  storage: StorageHandle;
  health: HealthRunner | undefined;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const secrets = options.secrets ?? new SecretValues();
  const logger =
    options.logger ??
    createLogger({
      secrets,
      level: options.logLevel ?? 'info',
      ...(options.logDestination ? { destination: options.logDestination } : {}),
    });
  const storage = await openDatabase(options.database, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.databaseSchema ? { schema: options.databaseSchema } : {}),
  });
  let health: HealthRunner | undefined;
  const h = options.health ?? {};
  // With PostgreSQL several nodes may run checks; the per-company cap has to hold across all of them.
  const gate =
    storage.engine === 'postgres' && options.sharedCompanyLimit !== false
      ? new PgAdvisorySlots(options.database, (h.concurrency ?? 16) + 8)
      : undefined;
  try {
    const [diagnose, help, explain] = await Promise.all([
      options.diagnose ? Promise.resolve(options.diagnose) : loadDiagnose(),
      loadHelp(),
      loadExplain(),
    ]);
    let serviceRef: ConnectionService | undefined;
    const { clientId, clientSecret, apiUrl } = options.config;
    const oauth =
      options.oauth ??
      (clientId && clientSecret
        ? createOAuthProvider({
            clientId,
            clientSecret,
            ...(apiUrl ? { apiUrl } : {}),
            secrets,
            service: () => serviceRef!,
          })
        : undefined);
    const built = await buildApp({
      storage,
      keyring: options.keyring,
      diagnose,
      logger,
      secrets,
      config: options.config,
      ...(help ? { help } : {}),
      ...(explain ? { explain } : {}),
      ...(oauth ? { oauth } : {}),
      webDir: options.webDir ?? packagePath('dist', 'web'),
      ...(options.webhooks ? { webhooks: options.webhooks } : {}),
      ...(gate ? { gate } : {}),
    });
    const { app, service, dispatcher } = built;
    serviceRef = service;
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 3000 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : (options.port ?? 3000);
    const host = options.host ?? '127.0.0.1';
    dispatcher.start();
    if (h.enabled !== false) {
      const common = {
        storage,
        logger,
        runCheck: async (id: string) => {
          await service.check(id, 'scheduler', 'scheduled');
        },
        ...(h.pollMs !== undefined ? { pollMs: h.pollMs } : {}),
        ...(h.concurrency !== undefined ? { concurrency: h.concurrency } : {}),
        ...(h.leaseMs !== undefined ? { leaseMs: h.leaseMs } : {}),
      };
      health =
        storage.engine === 'postgres'
          ? new PgBossHealthRunner({
              ...common,
              connectionString: options.database,
              ...(h.bossSchema ? { bossSchema: h.bossSchema } : {}),
            })
          : new LocalHealthRunner(common);
      await health.start();
    }
    // Expired connect tokens and OAuth states are useless; old check history is pruned.
    const historyDays = options.checkHistoryDays ?? 90;
    const sweep = () =>
      pruneExpired(storage, historyDays).catch((error: unknown) =>
        logger.warn({ err: error }, 'cleanup failed'),
      );
    void sweep();
    const sweeper = setInterval(sweep, 3_600_000);
    sweeper.unref();
    let closing: Promise<void> | undefined;
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      port,
      app,
      service,
      storage,
      health,
      close: () => {
        closing ??= (async () => {
          clearInterval(sweeper);
          await health?.stop();
          await app.close();
          await gate?.close();
          await storage.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await health?.stop().catch(() => undefined);
    await gate?.close().catch(() => undefined);
    await storage.close();
    throw error;
  }
}
