import type { FastifyReply } from 'fastify';
import type { EmulatorContext } from '../context.js';

/**
 * Error bodies in the shapes of reference §3.8. Which shape a failure uses is the emulator's choice
 * where the reference marks it unknown (U13, U16), so callers pass the shape in.
 */

export type EnvelopeShape = 'A' | 'B' | 'C' | 'D' | 'oauth';

export interface ErrorSpec {
  /** `code` of the ia::error (e.g. invalidRequest, tokenInvalid, GW-0011). */
  code: string;
  message: string;
  /** REST-nnnn, when the failure has one. */
  errorId?: string;
  messageId?: string;
  placeholders?: Record<string, string>;
  /** For the OAuth (RFC 6749) shape. */
  oauthError?: string;
  details?: Array<{ code: string; message: string }>;
}

const failedMeta = { totalCount: 1, totalSuccess: 0, totalError: 1 };

export function errorBody(
  ctx: EmulatorContext,
  shape: EnvelopeShape,
  spec: ErrorSpec,
): Record<string, unknown> {
  const supportId = ctx.supportId();
  const additionalInfo = spec.messageId
    ? { messageId: spec.messageId, placeholders: spec.placeholders ?? {}, propertySet: {} }
    : undefined;
  const inner = {
    code: spec.code,
    message: spec.message,
    ...(spec.errorId ? { errorId: spec.errorId } : {}),
    ...(additionalInfo ? { additionalInfo } : {}),
    supportId,
  };
  switch (shape) {
    case 'A':
      return {
        'ia::error': {
          code: spec.code,
          message: spec.message,
          supportId,
          details: spec.details ?? (spec.errorId ? [{ code: spec.errorId, message: spec.message }] : []),
        },
        'ia::meta': failedMeta,
      };
    case 'B':
      return { 'ia::result': { 'ia::error': inner }, 'ia::meta': failedMeta };
    case 'C':
      return { error: inner };
    case 'D':
      return {
        'ia::error': { code: spec.code, message: spec.message, details: { requestId: ctx.requestId() } },
      };
    case 'oauth':
      return { error: spec.oauthError ?? 'invalid_request', error_description: spec.message };
  }
}

export function sendError(
  reply: FastifyReply,
  ctx: EmulatorContext,
  status: number,
  shape: EnvelopeShape,
  spec: ErrorSpec,
): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .header('cache-control', 'no-store')
    .send(errorBody(ctx, shape, spec));
}

/** Gateway (Kong) codes of reference §4.7–4.8 with their literal messages. */
export const GW = {
  '0010': 'API rate limit exceeded',
  '0011': 'Invalid Request',
  '0012': 'Missing Tenant Data',
  '0014': 'Invalid Content Type',
  '0031': 'Invalid Token',
  '0032': 'Invalid Token Payload',
  '0033': 'Invalid Token Endpoint',
  '0034': 'Invalid Authorization Header',
  '0035': 'Missing Token Payload',
  '0036': 'Missing User Name',
  '0037': 'Missing Client ID',
  '0038': 'Multiple Client IDs',
  '0039': 'Multiple Usernames',
  '0040': 'Expired token',
} as const;

export function gw(code: keyof typeof GW): ErrorSpec {
  return { code: `GW-${code}`, message: GW[code] };
}

export const REST_1216_TEXT = 'The Client ID, Client Secret, and/or 3rd Party Application are incorrect';
export const INVALID_CLIENT_TEXT =
  'Client authentication failed (e.g. unknown client, no client authentication included, or unsupported authentication method)';

export function partnerUserText(dash: 'en_dash' | 'hyphen'): string {
  return `oauthpartneruser::readpartneruserinfo ${dash === 'en_dash' ? '\u2013' : '-'} error retrieving Intacct user`;
}
