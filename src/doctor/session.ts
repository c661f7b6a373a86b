import {
  classifyReply,
  IntacctAuthenticationError,
  IntacctControlError,
  IntacctGatewayError,
  IntacctTransportError,
  type ParsedResponse,
  postXml,
  redactXml,
} from '../client/xml/index.js';
import type { ConnectionCredentials } from '../shared/credentials.js';
import { SECRET_CREDENTIAL_FIELDS } from '../shared/credentials.js';
import type { DoctorOptions, ProgressEvent, TranscriptEntry } from '../shared/report.js';
import type { FailedOutcome } from './classify.js';
import { extractRequestIds, extractSupportIds } from './ids.js';
import { redactHeaders, redactText } from './redact.js';

export type Outcome = FailedOutcome | { layer: 'ok'; parsed: ParsedResponse };

export interface ExchangeResult {
  outcome: Outcome;
  ms: number;
  httpStatus: number | null;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Every secret value of a set of credentials, for redaction by value. */
export function secretValues(credentials: ConnectionCredentials): string[] {
  return SECRET_CREDENTIAL_FIELDS.map((f) => credentials[f]).filter((v): v is string => !!v);
}

/**
 * The edge of a diagnosis: sends requests, counts round trips, records the redacted transcript and
 * collects Support/Request IDs. Everything else in the doctor is decided from what this returns.
 */
export class DiagnosisSession {
  roundTrips = 0;
  readonly supportIds = new Set<string>();
  readonly requestIds = new Set<string>();
  private readonly secrets: string[];

  constructor(
    private readonly options: DoctorOptions,
    private readonly endpointUrl: string,
  ) {
    this.secrets = secretValues(options.credentials);
  }

  /** Adds values learned during the diagnosis (e.g. a session ID) to what must never be written out. */
  addSecret(value: string | undefined): void {
    if (value && !this.secrets.includes(value)) this.secrets.push(value);
  }

  redact(text: string): string {
    // One- and two-character values cannot be masked by value without garbling ordinary words; the
    // tags and fields that carry them are still masked by position.
    const byValue = this.secrets.filter((s) => s.length >= 3);
    return redactText(redactXml(text, byValue), byValue);
  }

  private emit(event: ProgressEvent): void {
    try {
      this.options.onProgress?.(event);
    } catch {
      // A listener's failure must not change the diagnosis.
    }
  }

  async send(body: string): Promise<ExchangeResult> {
    this.roundTrips++;
    const at = new Date().toISOString();
    const started = performance.now();
    const requestHeaders = { 'content-type': 'application/xml' };
    try {
      const reply = await postXml(this.endpointUrl, body, {
        timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      });
      const ms = reply.ms;
      for (const id of extractSupportIds(reply.body)) this.supportIds.add(id);
      for (const id of extractRequestIds(reply.body)) this.requestIds.add(id);
      const outcome = this.classify(reply);
      if (outcome.layer === 'ok') {
        for (const r of outcome.parsed.results) {
          if (r.function === 'getAPISession') {
            const api = r.data[0];
            const sid =
              api && typeof api === 'object' ? (api as Record<string, unknown>).sessionid : undefined;
            if (typeof sid === 'string') this.addSecret(sid);
          }
        }
      }
      this.record({
        at,
        api: 'xml',
        method: 'POST',
        url: this.endpointUrl,
        requestHeaders,
        requestBody: this.redact(body),
        status: reply.status,
        responseHeaders: redactHeaders(reply.headers, this.secrets),
        responseBody: this.redact(reply.body),
        ms,
      });
      this.emit({ type: 'request', roundTrip: this.roundTrips, api: 'xml', ms, httpStatus: reply.status });
      return { outcome, ms, httpStatus: reply.status };
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      if (!(error instanceof IntacctTransportError)) throw error;
      if (error.aborted) throw error;
      this.record({
        at,
        api: 'xml',
        method: 'POST',
        url: this.endpointUrl,
        requestHeaders,
        requestBody: this.redact(body),
        status: null,
        responseHeaders: {},
        responseBody: '',
        ms,
        error: this.redact(error.message),
      });
      this.emit({ type: 'request', roundTrip: this.roundTrips, api: 'xml', ms });
      return {
        outcome: { layer: 'transport', kind: error.kind, message: this.redact(error.message) },
        ms,
        httpStatus: null,
      };
    }
  }

  private classify(reply: { status: number; headers: Record<string, string>; body: string }): Outcome {
    try {
      return { layer: 'ok', parsed: classifyReply(reply) };
    } catch (error) {
      if (error instanceof IntacctGatewayError) {
        return {
          layer: 'gateway',
          kind: error.kind,
          ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
          errors: error.errors,
          message: this.redact(error.message),
        };
      }
      if (error instanceof IntacctControlError || error instanceof IntacctAuthenticationError) {
        return {
          layer: error instanceof IntacctControlError ? 'control' : 'authentication',
          ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
          errors: error.errors,
          message: this.redact(error.message),
        };
      }
      return {
        layer: 'gateway',
        kind: 'malformed',
        httpStatus: reply.status,
        errors: [],
        message: this.redact(error instanceof Error ? error.message : String(error)),
      };
    }
  }

  private record(entry: TranscriptEntry): void {
    this.options.transcript?.push(entry);
  }
}
