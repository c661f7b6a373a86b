import { RestClient } from '../../client/rest/client.js';
import { IntacctNetworkError, IntacctRestError } from '../../client/rest/errors.js';
import type { Exchange } from '../../client/rest/http.js';
import { IntacctOAuthClient } from '../../client/rest/oauth.js';
import type { CauseId } from '../../shared/causes.js';
import { DEFAULT_API_URL } from '../../shared/credentials.js';
import { MODULES, OPERATION_RIGHTS, objectInfo, RIGHT_LABELS } from '../../shared/objects.js';
import type { DoctorOptions, Finding, MissingPermission, Requirement } from '../../shared/report.js';
import { DEFAULT_REQUIREMENTS } from '../../shared/report.js';
import { buildFinding, type CauseLookup, type FindingInput } from '../findings.js';
import { extractRequestIds, extractSupportIds } from '../ids.js';
import { redactHeaders, redactText } from '../redact.js';
import { secretValues } from '../session.js';

/**
 * The edge of an OAuth diagnosis: every HTTP exchange passes through `onExchange`, which counts the
 * round trip, records the redacted transcript entry and collects Support/Request IDs.
 */
export class OAuthRecorder {
  roundTrips = 0;
  readonly supportIds = new Set<string>();
  readonly requestIds = new Set<string>();
  readonly secrets: string[];
  readonly apiUrl: string;

  constructor(readonly options: DoctorOptions) {
    this.secrets = secretValues(options.credentials);
    this.apiUrl = (options.credentials.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  }

  addSecret(value: string | undefined): void {
    if (value && !this.secrets.includes(value)) this.secrets.push(value);
  }

  readonly onExchange = (exchange: Exchange): void => {
    this.roundTrips += 1;
    const clean = (t: string) => redactText(t, this.secrets);
    for (const id of extractSupportIds(exchange.responseBody)) this.supportIds.add(id);
    for (const id of extractRequestIds(exchange.responseBody)) this.requestIds.add(id);
    this.options.transcript?.push({
      at: exchange.at,
      api: exchange.api,
      method: exchange.method,
      url: clean(exchange.url),
      requestHeaders: redactHeaders(exchange.requestHeaders, this.secrets),
      requestBody: clean(exchange.requestBody),
      status: exchange.status,
      responseHeaders: redactHeaders(exchange.responseHeaders, this.secrets),
      responseBody: clean(exchange.responseBody),
      ms: exchange.ms,
      ...(exchange.error ? { error: clean(exchange.error) } : {}),
    });
    try {
      this.options.onProgress?.({
        type: 'request',
        roundTrip: this.roundTrips,
        api: exchange.api,
        ms: exchange.ms,
        ...(exchange.status !== null ? { httpStatus: exchange.status } : {}),
      });
    } catch {
      // A faulty listener must not break the diagnosis.
    }
  };

  oauthClient(redirectUri?: string): IntacctOAuthClient {
    const c = this.options.credentials;
    return new IntacctOAuthClient({
      clientId: c.clientId ?? '',
      ...(c.clientSecret !== undefined ? { clientSecret: c.clientSecret } : {}),
      apiUrl: this.apiUrl,
      ...(redirectUri ? { redirectUri } : {}),
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      timeoutMs: this.options.timeoutMs ?? 30_000,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      onExchange: this.onExchange,
    });
  }

  restClient(accessToken: string): RestClient {
    this.addSecret(accessToken);
    return new RestClient({
      apiUrl: this.apiUrl,
      auth: accessToken,
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      timeoutMs: this.options.timeoutMs ?? 30_000,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      onExchange: this.onExchange,
      // A diagnosis reports throttling instead of waiting it out.
      maxRateLimitRetries: 0,
    });
  }
}

export function evidenceOf(error: unknown): Finding['evidence'] {
  if (error instanceof IntacctRestError) {
    return {
      httpStatus: error.httpStatus,
      ...(error.errorId ? { errorno: error.errorId } : error.code ? { errorno: error.code } : {}),
      description: error.message,
      ...(error.supportId ? { supportId: error.supportId } : {}),
      ...(error.requestId ? { requestId: error.requestId } : {}),
    };
  }
  return {};
}

/** Failures any request can meet before Intacct's own checks: network, throttling, outages. */
export function transportCause(error: unknown): { cause: CauseId; detail: string } | undefined {
  if (error instanceof IntacctNetworkError) {
    return { cause: error.timedOut ? 'network.timeout' : 'network.unreachable', detail: error.message };
  }
  if (error instanceof IntacctRestError) {
    if (error.kind === 'rate_limited') {
      return {
        cause: 'gateway.rate_limited',
        detail: `Intacct answered ${error.httpStatus} (${error.code ?? 'throttled'}): ${error.message}${
          error.retryAfterSeconds !== undefined ? `; it asks to wait ${error.retryAfterSeconds} s` : ''
        }`,
      };
    }
    if (error.kind === 'unavailable' || (error.shape === 'unknown' && error.httpStatus >= 500)) {
      return {
        cause: 'gateway.unavailable',
        detail: `Intacct answered HTTP ${error.httpStatus}: ${error.message.slice(0, 200)}`,
      };
    }
  }
  return undefined;
}

export function finding(lookup: CauseLookup, input: FindingInput): Finding {
  return buildFinding(lookup, input);
}

/** What one requirement probe found. */
export interface ProbeResult {
  requirement: Requirement;
  status: 'ok' | 'missing' | 'not_probed';
  cause?: CauseId;
  detail?: string;
  error?: unknown;
}

const SAFE_PROBES = new Set(['readByQuery', 'read']);

/**
 * Probes each required object with the cheapest read that needs the same right: a size-1 query for
 * `readByQuery` (List), a read of key 1 for `read` (View; a 404 still proves the right). Writes are
 * not probed, since the only proof would be a write.
 */
export async function probeRequirements(
  rest: RestClient,
  requirements: readonly Requirement[],
): Promise<ProbeResult[]> {
  return Promise.all(
    requirements.map(async (requirement): Promise<ProbeResult> => {
      const info = objectInfo(requirement.object);
      if (!info?.restObject) {
        return {
          requirement,
          status: 'not_probed',
          detail: `${requirement.object} has no REST object this doctor knows`,
        };
      }
      if (!SAFE_PROBES.has(requirement.operation)) {
        return {
          requirement,
          status: 'not_probed',
          detail: `${requirement.operation} cannot be checked without writing data`,
        };
      }
      const path = `${MODULES[info.module].restModule}/${info.restObject}`;
      try {
        if (requirement.operation === 'readByQuery') {
          await rest.queryPage({ object: path, fields: ['key'], size: 1 });
        } else {
          await rest.getObject(path, '1');
        }
        return { requirement, status: 'ok' };
      } catch (error) {
        if (
          error instanceof IntacctRestError &&
          error.httpStatus === 404 &&
          requirement.operation === 'read'
        ) {
          return { requirement, status: 'ok' };
        }
        return { requirement, status: 'missing', error, ...classifyProbeError(error) };
      }
    }),
  );
}

function classifyProbeError(error: unknown): { cause: CauseId; detail: string } {
  const transport = transportCause(error);
  if (transport) return transport;
  if (error instanceof IntacctRestError) {
    if (/not subscribed/i.test(error.message))
      return { cause: 'module.not_subscribed', detail: error.message };
    if (error.httpStatus === 403 && /top level/i.test(error.message)) {
      return { cause: 'entity.top_level_denied', detail: error.message };
    }
    if (error.httpStatus === 403 && /entity/i.test(error.message))
      return { cause: 'entity.access_denied', detail: error.message };
    if (error.kind === 'permission') return { cause: 'permission.missing', detail: error.message };
    if (error.kind === 'token_expired') return { cause: 'oauth.token_expired', detail: error.message };
    if (error.kind === 'token_invalid' || error.kind === 'token_superseded' || error.kind === 'auth_header') {
      return { cause: 'oauth.token_invalid', detail: error.message };
    }
    if (/entity/i.test(error.message)) return { cause: 'entity.not_found', detail: error.message };
    return {
      cause: 'request.malformed',
      detail: `${error.httpStatus} ${error.code ?? ''} ${error.message}`.trim(),
    };
  }
  return { cause: 'request.malformed', detail: String(error) };
}

export function missingPermission(req: Requirement): MissingPermission {
  const info = objectInfo(req.object);
  const rights = (OPERATION_RIGHTS[req.operation] ?? []).map((r) => RIGHT_LABELS[r]);
  return {
    object: req.object,
    operation: req.operation,
    ...(info ? { module: MODULES[info.module].name, permission: info.permission } : {}),
    ...(rights.length ? { rights } : {}),
  };
}

export function requirementsOf(options: DoctorOptions): Requirement[] {
  return options.require?.length ? options.require : DEFAULT_REQUIREMENTS;
}

/** Turns probe results into findings: one per cause, the missing permissions listed together. */
export function probeFindings(lookup: CauseLookup, results: readonly ProbeResult[]): Finding[] {
  const out: Finding[] = [];
  const missing = results.filter((r) => r.cause === 'permission.missing');
  if (missing.length) {
    const list = missing.map((r) => missingPermission(r.requirement));
    out.push(
      finding(lookup, {
        cause: 'permission.missing',
        detail: `The token's user lacks rights for: ${list
          .map(
            (m) =>
              `${m.object} ${m.operation} (${m.module ?? '?'} › ${m.permission ?? '?'}: ${(m.rights ?? []).join(', ')})`,
          )
          .join('; ')}.`,
        evidence: { missing: list, ...evidenceOf(missing[0]!.error) },
        extraFix: list.map(
          (m) =>
            `Grant ${(m.rights ?? []).join(' and ')} on ${m.module ?? 'its application'} › ${m.permission ?? m.object} (for ${m.object} ${m.operation}).`,
        ),
      }),
    );
  }
  const modules = results.filter((r) => r.cause === 'module.not_subscribed');
  if (modules.length) {
    const names = [
      ...new Set(
        modules.map((r) => {
          const info = objectInfo(r.requirement.object);
          return info ? MODULES[info.module].name : r.requirement.object;
        }),
      ),
    ];
    out.push(
      finding(lookup, {
        cause: 'module.not_subscribed',
        detail: `Not subscribed: ${names.join(', ')} (needed for ${modules.map((r) => r.requirement.object).join(', ')}).`,
        evidence: { modules: names, ...evidenceOf(modules[0]!.error) },
      }),
    );
  }
  const seen = new Set<CauseId>(['permission.missing', 'module.not_subscribed']);
  for (const r of results) {
    if (!r.cause || seen.has(r.cause)) continue;
    seen.add(r.cause);
    out.push(finding(lookup, { cause: r.cause, detail: r.detail ?? '', evidence: evidenceOf(r.error) }));
  }
  return out;
}
