import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorApi, FaultAnswer, FaultMatch } from './context.js';
import type { Fault } from './world/schema.js';

export const XML_CONTENT_TYPE = 'text/xml; encoding="UTF-8"';
export const RATE_LIMIT_TEXT = 'API rate limit exceeded';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True when every key the rule names equals the request's value (company IDs case-insensitively). */
export function faultMatches(fault: Fault, match: FaultMatch): boolean {
  const m = fault.match;
  if (m.api !== undefined && m.api !== match.api) return false;
  if (m.function !== undefined && m.function !== match.function) return false;
  if (m.object !== undefined && m.object.toUpperCase() !== match.object?.toUpperCase()) return false;
  if (m.company !== undefined && m.company.toLowerCase() !== match.company?.toLowerCase()) return false;
  if (m.path !== undefined && !(match.path ?? '').startsWith(m.path)) return false;
  return true;
}

export function gatewayErrorXml(errorno: string, description: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<response><control><status>failure</status></control><errormessage><error><errorno>${errorno}</errorno><description>${description}</description><description2></description2><correction></correction></error></errormessage></response>`;
}

/** A Cloudflare-style edge error page; clients detect these by the `cf-error-details` marker. */
export function cloudflareHtml(status: number, title: string, rayId: string): string {
  return `<!DOCTYPE html>
<html lang="en-US"><head><title>api.intacct.com | ${status}: ${title}</title><meta charset="UTF-8" /></head>
<body><div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">
<h1><span class="cf-error-type">Error</span> <span class="cf-error-code">${status}</span></h1>
<h2 class="cf-subheadline">${title}</h2>
<p>Cloudflare Ray ID: <strong>${rayId}</strong></p>
</div></div></body></html>
`;
}

const HTML_TITLES: Record<number, string> = {
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  520: 'Web server is returning an unknown error',
  521: 'Web server is down',
  522: 'Connection timed out',
  524: 'A timeout occurred',
};

export function rateLimitedAnswer(
  api: EmulatorApi,
  requestId: string,
  retryAfter: boolean,
): { status: number; type: string; body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = retryAfter ? { 'retry-after': '1' } : {};
  if (api === 'xml') {
    return {
      status: 429,
      type: XML_CONTENT_TYPE,
      body: gatewayErrorXml('GW-0010', `${RATE_LIMIT_TEXT} [Request ID: ${requestId}]`),
      headers,
    };
  }
  return {
    status: 429,
    type: 'application/json',
    body: JSON.stringify({
      'ia::error': { code: 'GW-0010', message: RATE_LIMIT_TEXT, details: { requestId } },
    }),
    headers: retryAfter
      ? { ...headers, 'x-ia-throttle-limit': '0', 'x-ia-throttle-limit-retryafter': '1' }
      : headers,
  };
}

export interface FaultRuntime {
  faults: readonly Fault[];
  hits: number[];
  held: Set<Socket>;
  requestId(): string;
  retryAfterOnXml429: boolean;
  retryAfterOnRest429: boolean;
}

/** Consumes one hit of a fault; false when its `count` is used up. */
function take(rt: FaultRuntime, index: number, fault: Fault): boolean {
  const used = rt.hits[index] ?? 0;
  if (fault.count !== undefined && used >= fault.count) return false;
  rt.hits[index] = used + 1;
  return true;
}

export async function applyFault(
  rt: FaultRuntime,
  req: FastifyRequest,
  reply: FastifyReply,
  match: FaultMatch,
  answer: FaultAnswer = {},
): Promise<boolean> {
  for (let i = 0; i < rt.faults.length; i++) {
    const fault = rt.faults[i]!;
    if (!faultMatches(fault, match) || !take(rt, i, fault)) continue;
    switch (fault.effect) {
      case 'latency':
        await sleep(fault.latencyMs);
        continue;
      case 'rate_limited': {
        const retry = match.api === 'xml' ? rt.retryAfterOnXml429 : rt.retryAfterOnRest429;
        const a = rateLimitedAnswer(match.api, rt.requestId(), retry);
        await sleep(fault.latencyMs);
        reply.code(a.status).headers(a.headers).type(a.type).send(a.body);
        return true;
      }
      case 'unavailable': {
        await sleep(fault.latencyMs);
        const status = fault.status ?? 503;
        reply
          .code(status)
          .type('text/html; charset=UTF-8')
          .send(
            `<html><head><title>${status} Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>\n`,
          );
        return true;
      }
      case 'html_error': {
        await sleep(fault.latencyMs);
        const status = fault.status ?? 524;
        reply
          .code(status)
          .type('text/html; charset=UTF-8')
          .send(
            cloudflareHtml(
              status,
              HTML_TITLES[status] ?? 'Error',
              rt.requestId().replace(/\W/g, '').toLowerCase(),
            ),
          );
        return true;
      }
      case 'offline': {
        await sleep(fault.latencyMs);
        if (match.api === 'xml' && answer.offlineXml) {
          reply.code(200).type(XML_CONTENT_TYPE).send(answer.offlineXml());
        } else {
          reply
            .code(503)
            .type('application/json')
            .send(
              JSON.stringify({
                'ia::error': { code: 'GW-0001', message: 'The Service is Temporarily Off-line' },
              }),
            );
        }
        return true;
      }
      case 'timeout': {
        // Never answer: hold the socket until the client gives up or the emulator closes.
        const socket = req.raw.socket;
        reply.hijack();
        rt.held.add(socket);
        socket.once('close', () => rt.held.delete(socket));
        return true;
      }
      case 'drop_connection': {
        await sleep(fault.latencyMs);
        reply.hijack();
        req.raw.socket.destroy();
        return true;
      }
    }
  }
  return false;
}
