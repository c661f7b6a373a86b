import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { classifyReply, resultError } from './classify.js';
import {
  assertCompleteCredentials,
  type CredentialOptions,
  type ResolvedCredentials,
  resolveCredentials,
} from './credentials.js';
import {
  IntacctAuthenticationError,
  IntacctError,
  IntacctGatewayError,
  IntacctTransportError,
} from './errors.js';
import {
  type FieldMap,
  functions,
  MAX_READ_KEYS,
  type QueryFilter,
  type QuerySelect,
  READ_ONLY_FUNCTIONS,
} from './functions.js';
import { redactXml } from './redact.js';
import { buildRequest, type IntacctFunction, type RequestSpec } from './request.js';
import { type ParsedResponse, type ResultBlock, recordText, type XmlRecord } from './response.js';
import { companySemaphore, type Semaphore } from './semaphore.js';
import { DEFAULT_TIMEOUT_MS, type PostXmlReply, postXml } from './transport.js';

/** Structural subset of a pino logger, so any pino instance (or a test double) fits. */
export interface ClientLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** pino's; when present, bodies are redacted only if `debug` is on. */
  isLevelEnabled?(level: string): boolean;
}

/** Bodies in debug logs are cut here (after redaction, so a cut can never expose part of a secret). */
const LOG_BODY_CHARS = 16 * 1024;

export interface RetryOptions {
  /** First backoff delay; doubles per attempt, with jitter. Default 1000 ms. */
  baseDelayMs?: number;
  /** Longest single wait, including a Retry-After the gateway asks for. Default 60 s. */
  maxDelayMs?: number;
  /** Retry HTTP 524 (Cloudflare origin timeout). Default false: the origin may still be working. */
  retry524?: boolean;
}

export interface IntacctClientOptions extends CredentialOptions {
  /** Per HTTP exchange. Default 60 s. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  retry?: RetryOptions;
  /** Concurrent requests per company, shared by every client in the process. Default 2. */
  concurrency?: number;
  logger?: ClientLogger;
  fetch?: typeof fetch;
  /** Environment to read `INTACCT_*` from; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Home folder for `~/.intacct/credentials.ini`; default `os.homedir()`. */
  homeDir?: string;
  /** Largest response body parsed; default 64 MiB. */
  maxBytes?: number;
  /** Renew a session this long before its announced expiry. Default 60 s. */
  sessionRenewMarginMs?: number;
}

export interface SessionInfo {
  sessionId: string;
  endpointUrl: string;
  entityId: string;
  /** From `authentication/sessiontimeout`, slid forward by every response; null when unknown. */
  expiresAt: number | null;
}

export interface ExecuteOptions {
  transaction?: boolean;
  signal?: AbortSignal;
}

const aborted = () =>
  new IntacctTransportError('other', 'Request aborted by the caller while waiting to retry', {
    aborted: true,
  });

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * A client for one Intacct company over the XML gateway: login or session authentication, automatic
 * paging, retries, a per-company concurrency cap and redacted logging.
 */
export class IntacctClient {
  readonly resolved: ResolvedCredentials;
  private readonly opts: IntacctClientOptions;
  private readonly semaphore: Semaphore;
  private session: SessionInfo | null = null;
  private entityId: string | undefined;
  private readonly secrets = new Set<string>();
  /** HTTP requests sent (each retry counts). */
  roundTrips = 0;

  constructor(options: IntacctClientOptions = {}) {
    this.opts = options;
    this.resolved = resolveCredentials(options, options.env ?? process.env, options.homeDir ?? homedir());
    assertCompleteCredentials(this.resolved);
    const c = this.resolved.credentials;
    this.entityId = c.entityId;
    for (const s of [c.senderPassword, c.userPassword, c.sessionId, c.clientSecret])
      if (s) this.secrets.add(s);
    if (c.sessionId) {
      this.session = {
        sessionId: c.sessionId,
        endpointUrl: c.endpointUrl,
        entityId: c.entityId ?? '',
        expiresAt: null,
      };
    }
    const companyKey = c.companyId ? `company:${c.companyId}` : `session:${c.endpointUrl}`;
    this.semaphore = companySemaphore(companyKey, options.concurrency ?? 2);
  }

  /** The current session, if one is in use (the ID is a secret: never log it). */
  get currentSession(): SessionInfo | null {
    return this.session ? { ...this.session } : null;
  }

  /** The semaphore's in-flight and peak counts, for monitoring. */
  get concurrency(): { limit: number; inFlight: number; maxInFlight: number; queued: number } {
    const s = this.semaphore;
    return { limit: s.limit, inFlight: s.inFlight, maxInFlight: s.maxActive, queued: s.queued };
  }

  private get hasLogin(): boolean {
    const c = this.resolved.credentials;
    return Boolean(c.companyId && c.userId && c.userPassword);
  }

  private redact(text: string): string {
    return redactXml(text, [...this.secrets]);
  }

  private log(
    level: 'debug' | 'info' | 'warn' | 'error',
    fields: Record<string, unknown>,
    msg: string,
  ): void {
    const logger = this.opts.logger;
    if (!logger) return;
    const clean = (v: unknown, depth: number): unknown => {
      if (typeof v === 'string') return this.redact(v);
      if (depth > 4 || v === null || typeof v !== 'object') return v;
      if (Array.isArray(v)) return v.map((x) => clean(x, depth + 1));
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x, depth + 1)]));
    };
    logger[level](clean(fields, 0) as object, this.redact(msg));
  }

  private debugBody(body: string): string | undefined {
    const logger = this.opts.logger;
    if (!logger || logger.isLevelEnabled?.('debug') === false) return undefined;
    const clean = this.redact(body);
    return clean.length > LOG_BODY_CHARS
      ? `${clean.slice(0, LOG_BODY_CHARS)}… (${clean.length - LOG_BODY_CHARS} more characters)`
      : clean;
  }

  private controlSpec(): RequestSpec['control'] {
    const c = this.resolved.credentials;
    return {
      senderId: c.senderId as string,
      senderPassword: c.senderPassword as string,
      // Unique per request so log lines and Intacct's echo can be matched up.
      controlId: randomUUID(),
    };
  }

  private loginAuth(entityId: string | undefined): RequestSpec['operation']['authentication'] {
    const c = this.resolved.credentials;
    const login: { userId: string; companyId: string; password: string; entityId?: string } = {
      userId: c.userId as string,
      companyId: c.companyId as string,
      password: c.userPassword as string,
    };
    if (entityId) login.entityId = entityId;
    return { login };
  }

  private backoff(attempt: number): number {
    const base = this.opts.retry?.baseDelayMs ?? 1000;
    const max = this.opts.retry?.maxDelayMs ?? 60_000;
    const exp = Math.min(max, base * 2 ** attempt);
    // "Equal jitter": at least half the delay, so retries spread out without collapsing to zero.
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  /** Sends one request with retries; returns the classified response (results unchecked). */
  private async send(
    fns: IntacctFunction[],
    auth: RequestSpec['operation']['authentication'],
    endpointUrl: string,
    options: ExecuteOptions,
  ): Promise<ParsedResponse> {
    const transaction = options.transaction === true;
    const safe = !transaction && fns.every((f) => READ_ONLY_FUNCTIONS.has(f.function));
    const control = this.controlSpec();
    const body = buildRequest({
      control,
      operation: { transaction, authentication: auth, functions: fns },
    });
    const maxRetries = this.opts.maxRetries ?? 4;
    const names = fns.map((f) => (f.object ? `${f.function}:${f.object}` : f.function));
    for (let attempt = 0; ; attempt++) {
      let reply: PostXmlReply;
      const release = await this.semaphore.acquire();
      try {
        this.roundTrips++;
        this.log(
          'debug',
          {
            endpoint: endpointUrl,
            controlId: control.controlId,
            functions: names,
            attempt,
            body: this.debugBody(body),
          },
          'intacct request',
        );
        reply = await postXml(endpointUrl, body, {
          timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}),
          ...(this.opts.maxBytes ? { maxBytes: this.opts.maxBytes } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (err) {
        release();
        const retry = err instanceof IntacctError && err.retryable && safe && attempt < maxRetries;
        this.log(
          retry ? 'warn' : 'error',
          { functions: names, attempt, error: String(err) },
          'intacct transport error',
        );
        if (!retry) throw err;
        await sleep(this.backoff(attempt), options.signal);
        continue;
      }
      release();
      this.log(
        'debug',
        {
          status: reply.status,
          ms: reply.ms,
          controlId: control.controlId,
          functions: names,
          body: this.debugBody(reply.body),
        },
        'intacct response',
      );
      try {
        const parsed = classifyReply(reply, this.opts.maxBytes ? { maxBytes: this.opts.maxBytes } : {});
        this.slideSession(parsed);
        for (const r of parsed.results) this.rememberSecrets(r);
        return parsed;
      } catch (err) {
        if (!(err instanceof IntacctGatewayError) || !this.shouldRetry(err, safe) || attempt >= maxRetries) {
          this.log(
            'warn',
            { functions: names, status: reply.status, error: String(err) },
            'intacct request failed',
          );
          throw err;
        }
        const maxDelay = this.opts.retry?.maxDelayMs ?? 60_000;
        const wait =
          err.retryAfterSeconds !== null
            ? Math.min(maxDelay, Math.ceil(err.retryAfterSeconds * 1000))
            : this.backoff(attempt);
        this.log(
          'warn',
          { functions: names, status: reply.status, kind: err.kind, waitMs: wait, attempt },
          'intacct retry',
        );
        await sleep(wait, options.signal);
      }
    }
  }

  private shouldRetry(err: IntacctGatewayError, safe: boolean): boolean {
    // A throttled request was not processed, so repeating it is safe even for writes.
    if (err.kind === 'rate_limited') return true;
    const status = err.httpStatus ?? 0;
    if (status === 524 || err.kind === 'edge_timeout') return this.opts.retry?.retry524 === true && safe;
    if (status >= 500) {
      // A 500 can come after a write has committed; proxies' 502/503 mean it never reached the origin.
      return safe || status === 502 || status === 503;
    }
    return false;
  }

  private slideSession(parsed: ParsedResponse): void {
    const timeout = parsed.authentication?.sessionTimeout;
    if (!this.session || !timeout) return;
    const at = Date.parse(timeout);
    if (!Number.isNaN(at)) this.session.expiresAt = at;
  }

  private rememberSecrets(r: ResultBlock): void {
    if (r.function !== 'getAPISession') return;
    const id = recordText(r.data[0], 'sessionid');
    if (id) this.secrets.add(id);
  }

  private sessionUsable(): boolean {
    const s = this.session;
    if (!s) return false;
    if (s.expiresAt === null || !this.hasLogin) return true;
    return s.expiresAt - Date.now() > (this.opts.sessionRenewMarginMs ?? 60_000);
  }

  /**
   * Sends functions in one request and returns every result in order. Result failures are data
   * here (see `resultError`); gateway, control and authentication failures throw.
   */
  async executeBatch(fns: IntacctFunction[], options: ExecuteOptions = {}): Promise<ResultBlock[]> {
    if (fns.some((f) => f.function === 'getAPISession') && fns.length > 1) {
      throw new RangeError('getAPISession must be sent alone; Intacct does not mix it with other functions');
    }
    if (this.session && !this.sessionUsable()) await this.getAPISession({ entityId: this.session.entityId });
    const usedSession = this.session;
    const auth = usedSession ? { sessionId: usedSession.sessionId } : this.loginAuth(this.entityId);
    const endpoint = usedSession?.endpointUrl ?? this.resolved.credentials.endpointUrl;
    try {
      return (await this.send(fns, auth, endpoint, options)).results;
    } catch (err) {
      if (err instanceof IntacctAuthenticationError && err.invalidSession && usedSession && this.hasLogin) {
        // One fresh login, then one more try; a second failure is real and is reported.
        this.log('info', { entityId: usedSession.entityId }, 'intacct session invalid; signing in again');
        this.session = null;
        const fresh = await this.getAPISession({ entityId: usedSession.entityId }, options);
        return (await this.send(fns, { sessionId: fresh.sessionId }, fresh.endpointUrl, options)).results;
      }
      throw err;
    }
  }

  /** Sends one function; returns its result, or throws `IntacctResultError` when it failed. */
  async execute(fn: IntacctFunction, options: ExecuteOptions = {}): Promise<ResultBlock> {
    const [result] = await this.executeBatch([fn], options);
    if (!result)
      throw new IntacctGatewayError('malformed', `No result for ${fn.function} (control ID ${fn.controlId})`);
    const err = resultError(result);
    if (err) throw err;
    return result;
  }

  /**
   * Opens a session (at `entityId` when given, '' for top level) and uses it, and the endpoint it
   * returns, for every later call. Uses login credentials when there are any, else the current session.
   */
  async getAPISession(opts: { entityId?: string } = {}, options: ExecuteOptions = {}): Promise<SessionInfo> {
    const fn = functions.getAPISession(opts.entityId !== undefined ? { entityId: opts.entityId } : {});
    let parsed: ParsedResponse;
    if (this.hasLogin) {
      // With login, the entity goes into <login><locationid>; a getAPISession locationid is for sessions.
      const entity = opts.entityId ?? this.entityId;
      parsed = await this.send(
        [functions.getAPISession()],
        this.loginAuth(entity),
        this.resolved.credentials.endpointUrl,
        options,
      );
    } else if (this.session) {
      parsed = await this.send(
        [fn],
        { sessionId: this.session.sessionId },
        this.session.endpointUrl,
        options,
      );
    } else {
      throw new IntacctAuthenticationError('No login credentials and no session to open a session with');
    }
    const result = parsed.results[0];
    if (!result) throw new IntacctGatewayError('malformed', 'getAPISession returned no result');
    const err = resultError(result);
    if (err) throw err;
    const record = result.data[0];
    const sessionId = recordText(record, 'sessionid');
    if (!sessionId) throw new IntacctGatewayError('malformed', 'getAPISession returned no session ID');
    this.secrets.add(sessionId);
    const endpointUrl = recordText(record, 'endpoint') || this.resolved.credentials.endpointUrl;
    const timeout = Date.parse(parsed.authentication?.sessionTimeout ?? '');
    this.session = {
      sessionId,
      endpointUrl,
      entityId: recordText(record, 'locationid'),
      expiresAt: Number.isNaN(timeout) ? null : timeout,
    };
    this.log('info', { endpoint: endpointUrl, entityId: this.session.entityId }, 'intacct session opened');
    return { ...this.session };
  }

  /** Moves the client to another entity ('' for top level) by opening a session there. */
  async switchEntity(entityId: string, options: ExecuteOptions = {}): Promise<SessionInfo> {
    const info = await this.getAPISession({ entityId }, options);
    this.entityId = entityId || undefined;
    return info;
  }

  /** Forgets the current session; later calls sign in with login credentials again. */
  clearSession(): void {
    this.session = null;
  }

  readByQuery(
    opts: Parameters<typeof functions.readByQuery>[0],
    options?: ExecuteOptions,
  ): Promise<ResultBlock> {
    return this.execute(functions.readByQuery(opts), options);
  }

  readMore(resultId: string, options?: ExecuteOptions): Promise<ResultBlock> {
    return this.execute(functions.readMore({ resultId }), options);
  }

  /** Every page of a readByQuery: the first, then readMore until nothing remains. */
  async *readAll(
    opts: Parameters<typeof functions.readByQuery>[0],
    options?: ExecuteOptions,
  ): AsyncGenerator<ResultBlock> {
    let page = await this.readByQuery(opts, options);
    yield page;
    while ((page.numRemaining ?? 0) > 0 && page.resultId) {
      page = await this.readMore(page.resultId, options);
      yield page;
    }
  }

  /** Every record of a readByQuery, one at a time (pages are fetched as needed). */
  async *readAllRecords(
    opts: Parameters<typeof functions.readByQuery>[0],
    options?: ExecuteOptions,
  ): AsyncGenerator<XmlRecord> {
    for await (const page of this.readAll(opts, options)) yield* page.data;
  }

  query(
    opts: {
      object: string;
      select: QuerySelect[];
      filter?: QueryFilter;
      orderBy?: Array<{ field: string; direction?: 'ascending' | 'descending' }>;
      pageSize?: number;
      offset?: number;
      caseInsensitive?: boolean;
      showPrivate?: boolean;
    },
    options?: ExecuteOptions,
  ): Promise<ResultBlock> {
    return this.execute(functions.query(opts), options);
  }

  /** Every page of a query, paging by offset (query has no resultId). */
  async *queryAll(
    opts: Parameters<IntacctClient['query']>[0],
    options?: ExecuteOptions,
  ): AsyncGenerator<ResultBlock> {
    let offset = opts.offset ?? 0;
    for (;;) {
      const page = await this.query({ ...opts, offset }, options);
      yield page;
      offset += page.data.length;
      if (page.data.length === 0 || page.numRemaining === 0) return;
      if (page.numRemaining === null && page.data.length < (opts.pageSize ?? 100)) return;
    }
  }

  /** Reads records by key; more than 100 keys are split over several functions in one request. */
  async read(
    opts: { object: string; keys: string[] | '*'; fields?: string[] | string },
    options?: ExecuteOptions,
  ): Promise<XmlRecord[]> {
    const groups = opts.keys === '*' ? ['*' as const] : chunk(opts.keys, MAX_READ_KEYS);
    const fns = groups.map((keys) =>
      functions.read({
        object: opts.object,
        keys,
        ...(opts.fields !== undefined ? { fields: opts.fields } : {}),
      }),
    );
    const records: XmlRecord[] = [];
    // Keep each request a reasonable size: up to 10 read functions (1,000 keys) per request.
    for (const batch of chunk(fns, 10)) {
      const results = await this.executeBatch(batch, options);
      for (const r of results) {
        const err = resultError(r);
        if (err) throw err;
        records.push(...r.data);
      }
    }
    return records;
  }

  async readByName(
    opts: { object: string; names: string[]; fields?: string[] | string },
    options?: ExecuteOptions,
  ): Promise<XmlRecord[]> {
    const records: XmlRecord[] = [];
    for (const names of chunk(opts.names, MAX_READ_KEYS)) {
      const r = await this.execute(
        functions.readByName({
          object: opts.object,
          names,
          ...(opts.fields !== undefined ? { fields: opts.fields } : {}),
        }),
        options,
      );
      records.push(...r.data);
    }
    return records;
  }

  inspect(opts: { object: string; detail?: boolean }, options?: ExecuteOptions): Promise<ResultBlock> {
    return this.execute(functions.inspect(opts), options);
  }

  lookup(opts: { object: string }, options?: ExecuteOptions): Promise<ResultBlock> {
    return this.execute(functions.lookup(opts), options);
  }

  getUserPermissions(opts: { userId: string }, options?: ExecuteOptions): Promise<ResultBlock> {
    return this.execute(functions.getUserPermissions(opts), options);
  }

  getDimensions(options?: ExecuteOptions): Promise<ResultBlock> {
    return this.execute(functions.getDimensions(), options);
  }

  create(opts: { object: string; fields: FieldMap }, options?: ExecuteOptions): Promise<ResultBlock> {
    return this.execute(functions.create(opts), options);
  }

  update(opts: { object: string; fields: FieldMap }, options?: ExecuteOptions): Promise<ResultBlock> {
    return this.execute(functions.update(opts), options);
  }

  delete(opts: { object: string; keys: string[] | string }, options?: ExecuteOptions): Promise<ResultBlock> {
    return this.execute(functions.delete(opts), options);
  }
}
