import type { CauseId } from '../shared/causes.js';
import type { CheckResult, DoctorMode, DoctorReport, Finding } from '../shared/report.js';

/**
 * Where each cause sits in the chain a request passes through. When several errors are found, the one
 * earliest in the chain is the root: fixing a later one cannot help while an earlier one blocks.
 */
const CAUSE_ORDER: readonly CauseId[] = [
  'network.unreachable',
  'network.timeout',
  'gateway.unavailable',
  'gateway.rate_limited',
  'request.malformed',
  'gateway.invalid_request',
  'oauth.invalid_client',
  'oauth.scope_mismatch',
  'oauth.client_not_authorized',
  'oauth.redirect_uri_mismatch',
  'oauth.access_denied',
  'oauth.malformed_username',
  'oauth.partner_user_not_found',
  'oauth.invalid_grant',
  'oauth.no_refresh_token',
  'oauth.refresh_client_auth',
  'oauth.token_expired',
  'oauth.token_invalid',
  'sender.invalid_credentials',
  'company.not_found',
  'company.trial_expired',
  'company.web_services_disabled',
  'sender.not_authorized',
  'user.invalid_credentials',
  'user.locked_out',
  'user.inactive',
  'user.ip_not_allowed',
  'user.sso_or_mfa',
  'session.invalid',
  'entity.not_found',
  'entity.access_denied',
  'entity.top_level_denied',
  'permission.no_role',
  'module.not_subscribed',
  'permission.missing',
  'permission.admin_required',
  'user.not_web_services_user',
];

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

function causeRank(cause: CauseId): number {
  const i = CAUSE_ORDER.indexOf(cause);
  return i === -1 ? CAUSE_ORDER.length : i;
}

/** Root cause first: errors before warnings before notes, then by position in the chain. Stable otherwise. */
export function orderFindings(findings: readonly Finding[]): Finding[] {
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.finding.severity] - SEVERITY_ORDER[b.finding.severity] ||
        causeRank(a.finding.cause) - causeRank(b.finding.cause) ||
        a.index - b.index,
    )
    .map((x) => x.finding);
}

/** Drops repeated findings of the same cause and severity, keeping the first (most specific) one. */
export function dedupeFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.cause}:${f.severity}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface ReportParts {
  mode: DoctorMode;
  roundTrips: number;
  checks: CheckResult[];
  findings: Finding[];
  ms?: number;
  supportIds?: Iterable<string>;
  requestIds?: Iterable<string>;
  subject?: DoctorReport['subject'];
}

/** Assembles the CONTRACT §2 report: `ok` exactly when no finding is an error; findings root cause first. */
export function assembleReport(parts: ReportParts): DoctorReport {
  const findings = orderFindings(dedupeFindings(parts.findings));
  const report: DoctorReport = {
    ok: !findings.some((f) => f.severity === 'error'),
    mode: parts.mode,
    roundTrips: parts.roundTrips,
    checks: parts.checks,
    findings,
  };
  if (parts.ms !== undefined) report.ms = Math.round(parts.ms);
  report.supportIds = [...new Set(parts.supportIds ?? [])];
  report.requestIds = [...new Set(parts.requestIds ?? [])];
  if (parts.subject) {
    const subject = Object.fromEntries(
      Object.entries(parts.subject).filter(([, v]) => typeof v === 'string' && v.length > 0),
    );
    report.subject = subject;
  }
  return report;
}

/** The root-cause finding, or undefined for a healthy report. */
export function rootFinding(report: DoctorReport): Finding | undefined {
  return report.findings.find((f) => f.severity === 'error');
}
