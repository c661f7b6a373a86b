import type { CheckResult, DoctorReport, Finding, ProgressEvent } from '../shared/report.js';
import { readSse } from './sse.js';

/** The server's answers the UI reads (docs/connect-api.md). Only what the UI uses is typed. */
export interface ConnectConfig {
  appName: string;
  senderId: string;
  oauth: { enabled: boolean };
  suggestedUserId: string;
  requirements: RequirementView[];
  demo: boolean;
}

export interface RequirementView {
  object: string;
  operation: string;
  module?: string;
  permission?: string;
  rights?: string[];
}

export interface PrecheckAnswer {
  checks: CheckResult[];
  findings: Finding[];
}

export interface ConnectResult {
  id: string;
  status: string;
  report: DoctorReport;
}

export interface ConnectionView {
  id: string;
  companyId: string;
  userId?: string;
  entityId?: string | null;
  status: string;
  lastCheckedAt?: string | null;
  issues?: IssueView[];
  report?: DoctorReport;
}

export interface IssueView {
  id?: string;
  cause?: string;
  title?: string;
  severity?: string;
  status?: string;
  openedAt?: string;
  [key: string]: unknown;
}

export interface CheckHistoryEntry {
  at: string;
  status: string;
  ok: boolean;
  roundTrips: number;
  rootCause: string | null;
}

export interface ArticleSummary {
  id: string;
  kind: 'cause' | 'guide';
  title: string;
  summary: string;
}

export interface ExplainMatch {
  cause: string;
  confidence: number;
  title: string;
  fix: string[];
  article: string;
}

/** Thrown for any non-2xx answer; `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function request<T>(path: string, init: RequestInit & { auth?: string } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.auth) headers.set('authorization', `Bearer ${init.auth}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers });
  } catch {
    throw new ApiError('network', 0);
  }
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

async function toError(res: Response): Promise<ApiError> {
  let message = `HTTP ${res.status}`;
  let field: string | undefined;
  try {
    const body = (await res.json()) as { error?: { message?: string; field?: string } };
    if (body.error?.message) message = body.error.message;
    field = body.error?.field;
  } catch {
    // Not JSON (a proxy page, an empty body): the status line is all there is to say.
  }
  return new ApiError(message, res.status, field);
}

const json = (body: unknown) => JSON.stringify(body);

export const api = {
  createToken: () => request<{ token: string; expiresAt: string }>('/api/connect/token', { method: 'POST' }),
  config: (token: string) => request<ConnectConfig>('/api/connect/config', { auth: token }),
  precheck: (token: string, companyId: string) =>
    request<PrecheckAnswer>('/api/connect/precheck', {
      method: 'POST',
      auth: token,
      body: json({ companyId }),
    }),
  oauthStart: (token: string) =>
    request<{ authorizeUrl: string }>('/api/connect/oauth/start', { auth: token }),
  connection: (token: string, id: string) =>
    request<ConnectionView>(`/api/connect/connections/${encodeURIComponent(id)}`, { auth: token }),
  articles: (query?: string) =>
    request<{ articles: ArticleSummary[] }>(
      query ? `/api/help/articles?q=${encodeURIComponent(query)}` : '/api/help/articles',
    ),
  article: (id: string) => request<Record<string, unknown>>(`/api/help/articles/${encodeURIComponent(id)}`),
  explain: (text: string) =>
    request<{ matches: ExplainMatch[] }>('/api/explain', { method: 'POST', body: json({ text }) }),
  // Management API: the key travels only in the Authorization header.
  connections: (key: string) => request<{ connections: ConnectionView[] }>('/api/connections', { auth: key }),
  connectionDetail: (key: string, id: string) =>
    request<ConnectionView>(`/api/connections/${encodeURIComponent(id)}`, { auth: key }),
  checks: (key: string, id: string) =>
    request<{ checks: CheckHistoryEntry[] }>(`/api/connections/${encodeURIComponent(id)}/checks`, {
      auth: key,
    }),
  recheck: (key: string, id: string) =>
    request<{ status: string; report: DoctorReport }>(`/api/connections/${encodeURIComponent(id)}/check`, {
      method: 'POST',
      auth: key,
    }),
  updateCredentials: (
    key: string,
    id: string,
    body: { userId?: string; userPassword: string; entityId?: string },
  ) =>
    request<{ status: string; report: DoctorReport }>(
      `/api/connections/${encodeURIComponent(id)}/credentials`,
      { method: 'PUT', auth: key, body: json(body) },
    ),
  deleteConnection: (key: string, id: string) =>
    request<void>(`/api/connections/${encodeURIComponent(id)}`, { method: 'DELETE', auth: key }),
};

export interface ConnectBody {
  companyId: string;
  userId: string;
  userPassword: string;
  entityId?: string;
  connectionId?: string;
}

export type StreamItem =
  | { kind: 'progress'; event: ProgressEvent }
  | { kind: 'result'; result: ConnectResult };

/**
 * Starts a diagnosis and yields its progress as it streams. EventSource cannot POST or send headers,
 * so the stream is read from fetch directly.
 */
export async function* connectStream(
  token: string,
  body: ConnectBody,
  signal?: AbortSignal,
): AsyncGenerator<StreamItem> {
  let res: Response;
  try {
    res = await fetch('/api/connect/connections', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'text/event-stream',
      },
      body: json(body),
      signal,
    });
  } catch {
    throw new ApiError('network', 0);
  }
  if (!res.ok) throw await toError(res);
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream') || !res.body) {
    // A server that answers with plain JSON still gives a usable end state.
    const result = (await res.json()) as ConnectResult;
    yield { kind: 'result', result };
    return;
  }
  for await (const item of readSse(res.body)) {
    const parsed = parseStreamEvent(item.event, item.data);
    if (parsed) yield parsed;
  }
}

/** Maps one SSE event of the connect stream to what the UI needs; unknown events are ignored. */
export function parseStreamEvent(event: string, data: string): StreamItem | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  if (event === 'progress') return { kind: 'progress', event: value as ProgressEvent };
  if (event === 'result') return { kind: 'result', result: value as ConnectResult };
  if (event === 'error') {
    const err = (value as { error?: { message?: string }; message?: string }).error ?? value;
    throw new ApiError((err as { message?: string }).message ?? 'stream error', 500);
  }
  return null;
}
