import type { CauseId } from './causes.js';

/** Operations an integrating application can need on an Intacct object (CONTRACT §2, `--require`). */
export const OPERATIONS = ['readByQuery', 'read', 'create', 'update', 'delete'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface Requirement {
  object: string;
  operation: Operation;
}

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip' | 'unknown';
export type Severity = 'error' | 'warning' | 'info';
export type DoctorMode = 'xml' | 'oauth';

export interface CheckResult {
  /** Stable id such as `sender.credentials`, `user.signin`, `permissions.required`. */
  id: string;
  title: string;
  status: CheckStatus;
  cause: CauseId | null;
  ms: number;
  detail?: string;
}

export interface MissingPermission {
  object: string;
  operation: Operation | string;
  /** Intacct application (module) as its UI names it, e.g. "Accounts Payable". */
  module?: string;
  /** Intacct permission as its UI names it, e.g. "Vendors". */
  permission?: string;
  /** Rights to grant, e.g. ["List", "View"]. */
  rights?: string[];
}

export interface Finding {
  cause: CauseId;
  severity: Severity;
  title: string;
  detail: string;
  fix: string[];
  article: CauseId;
  evidence?: {
    missing?: MissingPermission[];
    errorno?: string;
    description?: string;
    description2?: string;
    supportId?: string;
    requestId?: string;
    httpStatus?: number;
    [key: string]: unknown;
  };
}

/** The doctor's report, exactly the JSON of CONTRACT §2 (fields may be added, never removed). */
export interface DoctorReport {
  ok: boolean;
  mode: DoctorMode;
  roundTrips: number;
  checks: CheckResult[];
  findings: Finding[];
  /** Added: wall time of the whole diagnosis. */
  ms?: number;
  /** Added: every Support ID / Request ID seen, decoded. */
  supportIds?: string[];
  requestIds?: string[];
  /** Added: the non-secret identifiers involved. */
  subject?: {
    senderId?: string;
    companyId?: string;
    userId?: string;
    entityId?: string;
    clientId?: string;
    endpointUrl?: string;
    apiUrl?: string;
  };
}

/** Streamed while a diagnosis runs (CLI live progress, server SSE, UI). */
export type ProgressEvent =
  | { type: 'check.started'; id: string; title: string }
  | { type: 'check.finished'; check: CheckResult }
  | { type: 'request'; roundTrip: number; api: 'xml' | 'oauth' | 'rest'; ms: number; httpStatus?: number };

/** One HTTP exchange of a diagnosis, already redacted (no secret survives into it). */
export interface TranscriptEntry {
  at: string;
  api: 'xml' | 'oauth' | 'rest';
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string;
  status: number | null;
  responseHeaders: Record<string, string>;
  responseBody: string;
  ms: number;
  error?: string;
}

/** What the doctor needs to diagnose one connection; shared by the CLI, the server and the UI flows. */
export interface DoctorOptions {
  credentials: import('./credentials.js').ConnectionCredentials;
  /** What the application needs; default: the read-only accounting sync. */
  require?: Requirement[];
  /**
   * `full` diagnoses everything. `company` checks only what can be known before the customer has
   * credentials (company exists, subscription, sender authorization) by signing in with a probe user.
   */
  scope?: 'full' | 'company';
  onProgress?: (event: ProgressEvent) => void;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** When given, every exchange is appended here, redacted. */
  transcript?: TranscriptEntry[];
  /**
   * Called with tokens the diagnosis obtained (OAuth mode). Refresh tokens rotate, so whoever stores the
   * connection must keep the newest one.
   */
  onTokens?: (tokens: { accessToken: string; refreshToken?: string; expiresAt: number }) => void;
  /** For tests and custom transports. */
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
}

/** The read-only accounting sync every diagnosis checks unless told otherwise (CONTRACT §2, `--require`). */
export const DEFAULT_REQUIREMENTS: Requirement[] = [
  'GLACCOUNT',
  'VENDOR',
  'CUSTOMER',
  'APBILL',
  'ARINVOICE',
  'GLENTRY',
  'LOCATIONENTITY',
  'DEPARTMENT',
  'LOCATION',
].map((object) => ({ object, operation: 'readByQuery' as const }));
