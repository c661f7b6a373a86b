import { DEFAULT_API_URL } from '../../shared/credentials.js';
import { type IntacctRestError, parseRestError } from './errors.js';
import { type Exchange, type HttpOptions, send } from './http.js';

/** Where the client gets its bearer token: a fixed string or something that refreshes (OAuthConnection). */
export type TokenSource = string | { accessToken(): Promise<string>; refresh?(): Promise<unknown> };

export interface RestClientConfig {
  apiUrl?: string;
  auth: TokenSource;
  /** Default entity for every call (`X-IA-API-Param-Entity`); omit for the token's own entity. */
  entityId?: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  signal?: AbortSignal;
  onExchange?: (exchange: Exchange) => void;
  /** How many 429s to wait out per call (default 3). */
  maxRateLimitRetries?: number;
  /** Longest single wait for a 429 (default 60 s); a longer Retry-After fails the call instead. */
  maxRetryWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Extra values to redact from transcripts. */
  secrets?: () => ReadonlyArray<string | undefined>;
}

export interface RestMeta {
  totalCount?: number;
  start?: number;
  pageSize?: number;
  next?: number | null;
  previous?: number | null;
  totalSuccess?: number;
  totalError?: number;
}

export interface RestResponse<T> {
  status: number;
  headers: Headers;
  result: T;
  meta: RestMeta | undefined;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Overrides the default entity; `null` sends no entity header. */
  entityId?: string | null;
  headers?: Record<string, string>;
}

export type QueryFilter = Record<string, Record<string, unknown>>;

export interface QueryRequest {
  object: string;
  fields?: string[];
  filters?: QueryFilter[];
  filterExpression?: string;
  filterParameters?: { includePrivate?: boolean; caseSensitiveComparison?: boolean };
  orderBy?: Array<Record<string, 'asc' | 'desc'>>;
  start?: number;
  size?: number;
}

export interface ObjectRef {
  key: string;
  id?: string;
  href?: string;
  [field: string]: unknown;
}

const TOKEN_RETRY_KINDS = new Set(['token_expired', 'token_superseded']);

export class RestClient {
  readonly apiUrl: string;
  private readonly config: RestClientConfig;

  constructor(config: RestClientConfig) {
    this.config = config;
    this.apiUrl = (config.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  }

  private async token(): Promise<string> {
    const { auth } = this.config;
    return typeof auth === 'string' ? auth : auth.accessToken();
  }

  private http(token: string): HttpOptions {
    return {
      ...(this.config.fetch ? { fetch: this.config.fetch } : {}),
      ...(this.config.timeoutMs ? { timeoutMs: this.config.timeoutMs } : {}),
      ...(this.config.signal ? { signal: this.config.signal } : {}),
      ...(this.config.onExchange ? { onExchange: this.config.onExchange } : {}),
      secrets: () => [token, ...(this.config.secrets?.() ?? [])],
    };
  }

  private url(path: string, query?: RequestOptions['query']): string {
    const url = new URL(`${this.apiUrl}/${path.replace(/^\/+/, '')}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  /**
   * One call with the retries Intacct's answers ask for: waits out 429s (Retry-After or the
   * X-IA-Throttle headers) and refreshes once on an expired or superseded token. Malformed tokens
   * (GW-0031) are not retried: refreshing cannot fix how the request was built.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<RestResponse<T>> {
    const sleep = this.config.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const maxWaits = this.config.maxRateLimitRetries ?? 3;
    const maxWaitMs = this.config.maxRetryWaitMs ?? 60_000;
    let waits = 0;
    let refreshed = false;
    for (;;) {
      const token = await this.token();
      const entity = options.entityId === undefined ? this.config.entityId : options.entityId;
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(entity ? { 'x-ia-api-param-entity': entity } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      };
      const res = await send(
        {
          api: 'rest',
          method,
          url: this.url(path, options.query),
          headers,
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        },
        this.http(token),
      );
      if (res.status < 300) {
        let parsed: Record<string, unknown> = {};
        try {
          parsed = res.text ? (JSON.parse(res.text) as Record<string, unknown>) : {};
        } catch {
          throw parseRestError(res.status, res.text, res.headers);
        }
        return {
          status: res.status,
          headers: res.headers,
          result: parsed['ia::result'] as T,
          meta: parsed['ia::meta'] as RestMeta | undefined,
        };
      }
      const error: IntacctRestError = parseRestError(res.status, res.text, res.headers);
      if (error.kind === 'rate_limited' && waits < maxWaits) {
        const waitMs = Math.min((error.retryAfterSeconds ?? 2 ** waits) * 1000, Number.MAX_SAFE_INTEGER);
        if (waitMs <= maxWaitMs) {
          waits += 1;
          await sleep(waitMs);
          continue;
        }
      }
      const { auth } = this.config;
      if (TOKEN_RETRY_KINDS.has(error.kind) && !refreshed && typeof auth !== 'string' && auth.refresh) {
        refreshed = true;
        await auth.refresh();
        continue;
      }
      throw error;
    }
  }

  get<T = unknown>(path: string, options?: RequestOptions): Promise<RestResponse<T>> {
    return this.request<T>('GET', path, options);
  }

  post<T = unknown>(path: string, body: unknown, options?: RequestOptions): Promise<RestResponse<T>> {
    return this.request<T>('POST', path, { ...options, body });
  }

  /** `objectPath` as the REST API names it, e.g. `accounts-payable/vendor`. */
  async getObject<T = Record<string, unknown>>(
    objectPath: string,
    key: string,
    options?: RequestOptions,
  ): Promise<T> {
    return (await this.get<T>(`objects/${objectPath}/${encodeURIComponent(key)}`, options)).result;
  }

  async create(
    objectPath: string,
    body: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<ObjectRef> {
    return (await this.post<ObjectRef>(`objects/${objectPath}`, body, options)).result;
  }

  /** One page of a collection GET. */
  listPage(
    objectPath: string,
    page: { start?: number; size?: number } = {},
    options?: RequestOptions,
  ): Promise<RestResponse<ObjectRef[]>> {
    return this.get<ObjectRef[]>(`objects/${objectPath}`, {
      ...options,
      query: { ...options?.query, start: page.start, size: page.size },
    });
  }

  /** Every reference of a collection, following `ia::meta.next`. */
  async *list(
    objectPath: string,
    page: { size?: number } = {},
    options?: RequestOptions,
  ): AsyncGenerator<ObjectRef> {
    let start: number | undefined = 1;
    while (start !== undefined) {
      const res = await this.listPage(
        objectPath,
        { start, ...(page.size ? { size: page.size } : {}) },
        options,
      );
      yield* res.result ?? [];
      start = nextStart(res.meta, start, res.result?.length ?? 0);
    }
  }

  /** One page of `/services/core/query`. */
  queryPage<T = Record<string, unknown>>(
    query: QueryRequest,
    options?: RequestOptions,
  ): Promise<RestResponse<T[]>> {
    return this.post<T[]>('services/core/query', query, options);
  }

  /** Every record a query matches, page by page. */
  async *query<T = Record<string, unknown>>(
    query: QueryRequest,
    options?: RequestOptions,
  ): AsyncGenerator<T> {
    let start: number | undefined = query.start ?? 1;
    while (start !== undefined) {
      const res: RestResponse<T[]> = await this.queryPage<T>({ ...query, start }, options);
      yield* res.result ?? [];
      start = nextStart(res.meta, start, res.result?.length ?? 0);
    }
  }

  /** An XML gateway session for this token (`GET /services/core/session/id`). */
  async sessionId(options?: RequestOptions): Promise<{ sessionId: string; expiresIn: number }> {
    return (await this.get<{ sessionId: string; expiresIn: number }>('services/core/session/id', options))
      .result;
  }
}

function nextStart(meta: RestMeta | undefined, start: number, got: number): number | undefined {
  if (!meta || meta.next === null || meta.next === undefined) return undefined;
  // A server that repeats the same start would loop for ever.
  if (meta.next <= start || got === 0) return undefined;
  return meta.next;
}
