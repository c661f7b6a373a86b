import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { ConnectionCredentials } from '../shared/credentials.js';
import type { DoctorOptions, DoctorReport, Finding, ProgressEvent, Requirement } from '../shared/report.js';
import type { Keyring } from './crypto.js';
import { type ConnectionsTable, type DB, type IssuesTable, nowIso, type StorageHandle } from './db.js';
import { backoffMs, KeyedSemaphore } from './limits.js';
import type { SecretValues } from './log.js';
import type { CompanyGate } from './slots.js';
import { newEventId, type WebhookEvent } from './webhooks.js';

export type Diagnose = (options: DoctorOptions) => Promise<DoctorReport>;

/** Who did something, for the audit log: `management`, `connect:<session id>`, `scheduler`, `cli`. */
export type Actor = string;

export interface ServiceConfig {
  endpointUrl?: string;
  apiUrl?: string;
  senderId?: string;
  senderPassword?: string;
  clientId?: string;
  clientSecret?: string;
  requirements?: Requirement[];
  /** Time between health checks of a connection; default 15 min. */
  checkIntervalMs?: number;
  /** First delay after a rate-limited check; doubles up to throttleMaxMs. */
  throttleBaseMs?: number;
  throttleMaxMs?: number;
  /** Per request, passed to the doctor. */
  timeoutMs?: number;
  /** Concurrent diagnoses per Intacct company; default 2. */
  perCompanyConcurrency?: number;
}

/** What the customer types, plus the OAuth refresh token for OAuth connections. */
export interface StoredCredentials {
  companyId: string;
  userId?: string;
  userPassword?: string;
  entityId?: string;
  refreshToken?: string;
}

export interface IssueView {
  id: string;
  connectionId: string;
  cause: string;
  severity: string;
  title: string;
  status: string;
  openedAt: string;
  resolvedAt: string | null;
  lastSeenAt: string;
  reopenedCount: number;
}

export interface ConnectionView {
  id: string;
  mode: string;
  companyId: string;
  userId: string | null;
  entityId: string | null;
  status: string;
  customerRef: string | null;
  createdAt: string;
  updatedAt: string;
  lastCheckedAt: string | null;
  nextCheckAt: string | null;
  issues?: IssueView[];
}

export interface CheckOutcome {
  id: string;
  status: string;
  report: DoctorReport;
}

export interface CreateInput {
  companyId: string;
  userId: string;
  userPassword: string;
  entityId?: string | undefined;
}

export interface CallOptions {
  onProgress?: (event: ProgressEvent) => void;
  connectSessionId?: string | null;
  customerRef?: string | null;
  signal?: AbortSignal;
}

/** Causes that say "try later", not "this connection is broken": they back off instead of opening issues. */
const TRANSIENT_CAUSES = new Set(['gateway.rate_limited']);

export function rootCause(report: DoctorReport): Finding | undefined {
  return report.findings.find((f) => f.severity === 'error');
}

const SECRET_KEY_PATTERN = /pass(word)?|secret|session_?id|token|authorization|cookie/i;

/** Reports are stored and returned; drop secret-named fields and planted values defensively. */
export function scrubReport(report: DoctorReport, secrets: Array<string | undefined>): DoctorReport {
  const values = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let out = v;
      for (const s of values) if (out.includes(s)) out = out.split(s).join('[redacted]');
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(v)) {
        out[k] = SECRET_KEY_PATTERN.test(k) && typeof val === 'string' ? '[redacted]' : walk(val);
      }
      return out;
    }
    return v;
  };
  return walk(report) as DoctorReport;
}

export function toIssueView(row: IssuesTable): IssueView {
  return {
    id: row.id,
    connectionId: row.connection_id,
    cause: row.cause,
    severity: row.severity,
    title: row.title,
    status: row.status,
    openedAt: row.opened_at,
    resolvedAt: row.resolved_at,
    lastSeenAt: row.last_seen_at,
    reopenedCount: Number(row.reopened_count),
  };
}

export function toConnectionView(row: ConnectionsTable): ConnectionView {
  return {
    id: row.id,
    mode: row.mode,
    companyId: row.company_id,
    userId: row.user_id,
    entityId: row.entity_id,
    status: row.status,
    customerRef: row.customer_ref,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastCheckedAt: row.last_checked_at,
    nextCheckAt: row.next_check_at,
  };
}

export interface ServiceDeps {
  storage: StorageHandle;
  keyring: Keyring;
  diagnose: Diagnose;
  logger: Logger;
  secrets: SecretValues;
  config: ServiceConfig;
  /** Called after a transaction queued webhook deliveries. */
  onEventsQueued?: () => void;
  limiter?: KeyedSemaphore;
  /** Several nodes: a shared cap per company on top of this process's limiter. */
  gate?: CompanyGate;
}

export class ConnectionService {
  readonly limiter: KeyedSemaphore;

  constructor(private readonly d: ServiceDeps) {
    this.limiter = d.limiter ?? new KeyedSemaphore(d.config.perCompanyConcurrency ?? 2);
  }

  get db(): Kysely<DB> {
    return this.d.storage.db;
  }

  private credentialsFor(
    stored: StoredCredentials,
    mode: string,
    accessToken?: string,
  ): ConnectionCredentials {
    const c = this.d.config;
    if (mode === 'oauth') {
      // An authorization-code connection is diagnosed with its own grant: the fresh access token right
      // after the exchange, later a refresh (the rotated refresh token is stored again by the caller).
      // Without a refresh token, the client-credentials grant for the same company and user is used.
      return {
        ...(stored.refreshToken ? { refreshToken: stored.refreshToken } : {}),
        ...(accessToken ? { accessToken } : {}),
        ...(c.apiUrl ? { apiUrl: c.apiUrl } : {}),
        ...(c.endpointUrl ? { endpointUrl: c.endpointUrl } : {}),
        ...(c.clientId ? { clientId: c.clientId } : {}),
        ...(c.clientSecret ? { clientSecret: c.clientSecret } : {}),
        companyId: stored.companyId,
        ...(stored.userId ? { userId: stored.userId } : {}),
        ...(stored.entityId ? { entityId: stored.entityId } : {}),
      };
    }
    return {
      ...(c.endpointUrl ? { endpointUrl: c.endpointUrl } : {}),
      ...(c.apiUrl ? { apiUrl: c.apiUrl } : {}),
      ...(c.senderId ? { senderId: c.senderId } : {}),
      ...(c.senderPassword ? { senderPassword: c.senderPassword } : {}),
      companyId: stored.companyId,
      ...(stored.userId ? { userId: stored.userId } : {}),
      ...(stored.userPassword ? { userPassword: stored.userPassword } : {}),
      ...(stored.entityId ? { entityId: stored.entityId } : {}),
    };
  }

  /** Runs the doctor under the per-company limit; the report comes back scrubbed. */
  async diagnose(
    stored: StoredCredentials,
    options: CallOptions = {},
    scope: 'full' | 'company' = 'full',
    mode = 'xml',
    accessToken?: string,
  ): Promise<DoctorReport> {
    this.d.secrets.addTransient(stored.userPassword);
    this.d.secrets.addTransient(stored.refreshToken);
    this.d.secrets.addTransient(accessToken);
    const credentials = this.credentialsFor(stored, mode, accessToken);
    const previousRefreshToken = stored.refreshToken;
    const key = stored.companyId.trim().toLowerCase();
    const call = () =>
      this.d.diagnose({
        credentials,
        scope,
        ...(this.d.config.requirements ? { require: this.d.config.requirements } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(this.d.config.timeoutMs ? { timeoutMs: this.d.config.timeoutMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        // Refresh tokens rotate: keep the newest on `stored` so the caller seals it again.
        onTokens: (tokens) => {
          this.d.secrets.addTransient(tokens.accessToken);
          this.d.secrets.addTransient(tokens.refreshToken);
          if (tokens.refreshToken) stored.refreshToken = tokens.refreshToken;
        },
      });
    const gate = this.d.gate;
    const report = await this.limiter.run(key, () => (gate ? gate.run(key, call) : call()));
    return scrubReport(report, [
      stored.userPassword,
      this.d.config.senderPassword,
      this.d.config.clientSecret,
      previousRefreshToken,
      stored.refreshToken,
      accessToken,
    ]);
  }

  async create(
    input: CreateInput,
    actor: Actor,
    options: CallOptions = {},
    oauth?: { refreshToken?: string | undefined; accessToken?: string | undefined },
  ): Promise<CheckOutcome> {
    const mode = oauth ? 'oauth' : 'xml';
    const stored: StoredCredentials = {
      companyId: input.companyId,
      userId: input.userId,
      ...(input.userPassword ? { userPassword: input.userPassword } : {}),
      ...(input.entityId ? { entityId: input.entityId } : {}),
      ...(oauth?.refreshToken ? { refreshToken: oauth.refreshToken } : {}),
    };
    const report = await this.diagnose(stored, options, 'full', mode, oauth?.accessToken);
    const id = `con_${randomUUID().replace(/-/g, '')}`;
    const sealed = this.d.keyring.sealJson(stored);
    const now = nowIso();
    const status = report.ok ? 'connected' : 'failed';
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('connections')
        .values({
          id,
          mode,
          company_id: input.companyId,
          user_id: input.userId,
          entity_id: input.entityId ?? null,
          status: 'pending',
          credentials: sealed.blob,
          key_id: sealed.keyId,
          customer_ref: options.customerRef ?? null,
          connect_session_id: options.connectSessionId ?? null,
          created_at: now,
          updated_at: now,
          last_checked_at: null,
          next_check_at: null,
          throttled_count: 0,
          claimed_until: null,
          deleted_at: null,
        })
        .execute();
      await this.audit(trx, actor, 'connection.created', id, {
        companyId: input.companyId,
        userId: input.userId,
      });
      await this.applyReport(trx, id, report, 'create', actor);
    });
    this.d.onEventsQueued?.();
    return { id, status, report };
  }

  async get(id: string): Promise<ConnectionView | undefined> {
    const row = await this.db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const issues = await this.db
      .selectFrom('issues')
      .selectAll()
      .where('connection_id', '=', id)
      .orderBy('opened_at', 'desc')
      .execute();
    return { ...toConnectionView(row), issues: issues.map(toIssueView) };
  }

  async getRow(id: string): Promise<ConnectionsTable | undefined> {
    return this.db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(): Promise<ConnectionView[]> {
    const rows = await this.db.selectFrom('connections').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map(toConnectionView);
  }

  /** Diagnoses a stored connection again. Undefined when it does not exist (or was deleted meanwhile). */
  async check(
    id: string,
    actor: Actor,
    trigger: string,
    options: CallOptions = {},
  ): Promise<CheckOutcome | undefined> {
    const row = await this.getRow(id);
    if (!row) return undefined;
    const stored = this.d.keyring.openJson<StoredCredentials>(row.credentials);
    const refreshTokenBefore = stored.refreshToken;
    const report = await this.diagnose(stored, options, 'full', row.mode);
    let status: string | undefined;
    await this.db.transaction().execute(async (trx) => {
      if (stored.refreshToken !== refreshTokenBefore) {
        const sealed = this.d.keyring.sealJson(stored);
        await trx
          .updateTable('connections')
          .set({ credentials: sealed.blob, key_id: sealed.keyId })
          .where('id', '=', id)
          .execute();
      }
      status = await this.applyReport(trx, id, report, trigger, actor);
    });
    this.d.onEventsQueued?.();
    return status === undefined ? undefined : { id, status, report };
  }

  async updateCredentials(
    id: string,
    patch: { userId?: string | undefined; userPassword: string; entityId?: string | undefined },
    actor: Actor,
    options: CallOptions = {},
  ): Promise<CheckOutcome | undefined> {
    const row = await this.getRow(id);
    if (!row) return undefined;
    const old = this.d.keyring.openJson<StoredCredentials>(row.credentials);
    const stored: StoredCredentials = {
      companyId: old.companyId,
      userId: patch.userId ?? old.userId ?? '',
      userPassword: patch.userPassword,
      ...(patch.entityId !== undefined
        ? patch.entityId
          ? { entityId: patch.entityId }
          : {}
        : old.entityId
          ? { entityId: old.entityId }
          : {}),
    };
    const report = await this.diagnose(stored, options);
    const sealed = this.d.keyring.sealJson(stored);
    let status: string | undefined;
    await this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('connections')
        .set({
          credentials: sealed.blob,
          key_id: sealed.keyId,
          user_id: stored.userId ?? null,
          entity_id: stored.entityId ?? null,
          updated_at: nowIso(),
        })
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return;
      await this.audit(trx, actor, 'connection.credentials_updated', id, { userId: stored.userId });
      status = await this.applyReport(trx, id, report, 'credentials', actor);
    });
    this.d.onEventsQueued?.();
    return status === undefined ? undefined : { id, status, report };
  }

  async remove(id: string, actor: Actor): Promise<boolean> {
    let found = false;
    await this.db.transaction().execute(async (trx) => {
      const res = await trx.deleteFrom('connections').where('id', '=', id).executeTakeFirst();
      found = Number(res.numDeletedRows) === 1;
      if (!found) return;
      await trx.deleteFrom('issues').where('connection_id', '=', id).execute();
      await trx.deleteFrom('checks').where('connection_id', '=', id).execute();
      await this.audit(trx, actor, 'connection.deleted', id, {});
    });
    return found;
  }

  /**
   * Records a diagnosis: check history, status, issues (open / resolve / reopen) and webhook events, all
   * in the caller's transaction. Returns the new status, or undefined if the connection is gone.
   */
  async applyReport(
    trx: Transaction<DB>,
    id: string,
    report: DoctorReport,
    trigger: string,
    actor: Actor,
  ): Promise<string | undefined> {
    const row = await trx.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const now = Date.now();
    const at = nowIso(now);
    const root = rootCause(report);
    const transient = root !== undefined && TRANSIENT_CAUSES.has(root.cause);
    // A throttled check says nothing new about the connection, so its status stays (a new one is failed).
    const status = transient && row.status !== 'pending' ? row.status : report.ok ? 'connected' : 'failed';
    const cfg = this.d.config;
    const throttled = transient ? Number(row.throttled_count) + 1 : 0;
    const next = transient
      ? now + backoffMs(throttled, cfg.throttleBaseMs ?? 60_000, cfg.throttleMaxMs ?? 3_600_000)
      : now + (cfg.checkIntervalMs ?? 15 * 60_000);
    await trx
      .insertInto('checks')
      .values({
        id: `chk_${randomUUID().replace(/-/g, '')}`,
        connection_id: id,
        at,
        status: report.ok ? 'connected' : 'failed',
        ok: report.ok ? 1 : 0,
        round_trips: report.roundTrips,
        root_cause: root?.cause ?? null,
        trigger,
        report: JSON.stringify(report),
      })
      .execute();
    await trx
      .updateTable('connections')
      .set({
        status,
        last_checked_at: at,
        next_check_at: nowIso(next),
        throttled_count: throttled,
        claimed_until: null,
        updated_at: at,
      })
      .where('id', '=', id)
      .execute();
    await this.audit(trx, actor, 'connection.checked', id, {
      trigger,
      ok: report.ok,
      rootCause: root?.cause ?? null,
      transient,
    });
    const view = { ...toConnectionView(row), status, lastCheckedAt: at, nextCheckAt: nowIso(next) };
    if (status !== row.status) {
      const event: WebhookEvent = status === 'connected' ? 'connection.connected' : 'connection.failed';
      await this.enqueue(trx, event, { connection: view, rootCause: root?.cause ?? null });
    }
    if (!transient) await this.updateIssues(trx, view, report, at);
    return status;
  }

  private async updateIssues(
    trx: Transaction<DB>,
    connection: ConnectionView,
    report: DoctorReport,
    at: string,
  ): Promise<void> {
    const current = new Map<string, Finding>();
    for (const f of report.findings) {
      if ((f.severity === 'error' || f.severity === 'warning') && !current.has(f.cause))
        current.set(f.cause, f);
    }
    const existing = await trx
      .selectFrom('issues')
      .selectAll()
      .where('connection_id', '=', connection.id)
      .execute();
    const byCause = new Map(existing.map((i) => [i.cause, i]));
    for (const [cause, f] of current) {
      const prev = byCause.get(cause);
      if (!prev) {
        const row: IssuesTable = {
          id: `iss_${randomUUID().replace(/-/g, '')}`,
          connection_id: connection.id,
          cause,
          severity: f.severity,
          title: f.title,
          status: 'open',
          opened_at: at,
          resolved_at: null,
          last_seen_at: at,
          reopened_count: 0,
        };
        await trx.insertInto('issues').values(row).execute();
        await this.enqueue(trx, 'issue.opened', { connection, issue: toIssueView(row) });
      } else if (prev.status === 'resolved') {
        const row: IssuesTable = {
          ...prev,
          status: 'open',
          severity: f.severity,
          title: f.title,
          resolved_at: null,
          last_seen_at: at,
          opened_at: at,
          reopened_count: Number(prev.reopened_count) + 1,
        };
        await trx
          .updateTable('issues')
          .set({
            status: 'open',
            severity: f.severity,
            title: f.title,
            resolved_at: null,
            last_seen_at: at,
            opened_at: at,
            reopened_count: row.reopened_count,
          })
          .where('id', '=', prev.id)
          .execute();
        await this.enqueue(trx, 'issue.opened', { connection, issue: toIssueView(row), reopened: true });
      } else {
        await trx
          .updateTable('issues')
          .set({ last_seen_at: at, title: f.title })
          .where('id', '=', prev.id)
          .execute();
      }
    }
    // A completed diagnosis that no longer shows a cause resolves it.
    for (const prev of existing) {
      if (prev.status !== 'open' || current.has(prev.cause)) continue;
      await trx
        .updateTable('issues')
        .set({ status: 'resolved', resolved_at: at })
        .where('id', '=', prev.id)
        .execute();
      await this.enqueue(trx, 'issue.resolved', {
        connection,
        issue: toIssueView({ ...prev, status: 'resolved', resolved_at: at }),
      });
    }
  }

  async enqueue(
    trx: Transaction<DB> | Kysely<DB>,
    event: WebhookEvent,
    data: Record<string, unknown>,
  ): Promise<void> {
    const hooks = await trx
      .selectFrom('webhooks')
      .select(['id', 'events'])
      .where('deleted_at', 'is', null)
      .execute();
    const targets = hooks.filter((h) => (JSON.parse(h.events) as string[]).includes(event));
    if (targets.length === 0) return;
    const eventId = newEventId();
    const at = nowIso();
    const payload = JSON.stringify({ id: eventId, type: event, createdAt: at, data });
    for (const h of targets) {
      await trx
        .insertInto('deliveries')
        .values({
          id: `dlv_${randomUUID().replace(/-/g, '')}`,
          webhook_id: h.id,
          event_id: eventId,
          event,
          payload,
          status: 'pending',
          attempts: 0,
          next_attempt_at: at,
          last_status_code: null,
          last_error: null,
          created_at: at,
          delivered_at: null,
          claimed_until: null,
        })
        .execute();
    }
  }

  async audit(
    trx: Transaction<DB> | Kysely<DB>,
    actor: Actor,
    action: string,
    connectionId: string | null,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await trx
      .insertInto('audit_log')
      .values({ at: nowIso(), actor, action, connection_id: connectionId, detail: JSON.stringify(detail) })
      .execute();
  }
}
