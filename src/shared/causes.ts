/** Every cause id of the public contract (CONTRACT §3). Add, never rename or remove. */
export const CAUSE_IDS = [
  'network.unreachable',
  'network.timeout',
  'gateway.rate_limited',
  'gateway.unavailable',
  'gateway.invalid_request',
  'request.malformed',
  'sender.invalid_credentials',
  'sender.not_authorized',
  'company.web_services_disabled',
  'company.trial_expired',
  'company.not_found',
  'user.invalid_credentials',
  'user.locked_out',
  'user.inactive',
  'user.ip_not_allowed',
  'user.sso_or_mfa',
  'user.not_web_services_user',
  'session.invalid',
  'entity.not_found',
  'entity.access_denied',
  'entity.top_level_denied',
  'permission.missing',
  'permission.admin_required',
  'permission.no_role',
  'module.not_subscribed',
  'oauth.invalid_client',
  'oauth.client_not_authorized',
  'oauth.scope_mismatch',
  'oauth.redirect_uri_mismatch',
  'oauth.partner_user_not_found',
  'oauth.malformed_username',
  'oauth.invalid_grant',
  'oauth.no_refresh_token',
  'oauth.refresh_client_auth',
  'oauth.token_expired',
  'oauth.token_invalid',
  'oauth.access_denied',
] as const;

export type CauseId = (typeof CAUSE_IDS)[number];

export function isCauseId(value: unknown): value is CauseId {
  return typeof value === 'string' && (CAUSE_IDS as readonly string[]).includes(value);
}
