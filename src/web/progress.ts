import type { CheckResult, ProgressEvent } from '../shared/report.js';
import type { LiveStatus } from './components/Finding.js';

export interface LiveCheck {
  id: string;
  title: string;
  status: LiveStatus;
  detail?: string;
  ms?: number;
  cause?: string;
}

/** Folds one progress event into the ordered check list (pure, so it is unit-tested directly). */
export function applyProgress(checks: LiveCheck[], event: ProgressEvent): LiveCheck[] {
  if (event.type === 'check.started') {
    if (checks.some((c) => c.id === event.id)) {
      return checks.map((c) => (c.id === event.id ? { ...c, title: event.title, status: 'running' } : c));
    }
    return [...checks, { id: event.id, title: event.title, status: 'running' }];
  }
  if (event.type === 'check.finished') {
    const done = fromResult(event.check);
    if (checks.some((c) => c.id === done.id)) return checks.map((c) => (c.id === done.id ? done : c));
    return [...checks, done];
  }
  return checks;
}

/** The final report is the truth: it settles checks that never started (unknown/skip) and any still running. */
export function settle(checks: LiveCheck[], final: CheckResult[]): LiveCheck[] {
  const out = checks.map((c) => {
    const match = final.find((f) => f.id === c.id);
    return match ? fromResult(match) : c.status === 'running' ? { ...c, status: 'unknown' as const } : c;
  });
  for (const f of final) if (!out.some((c) => c.id === f.id)) out.push(fromResult(f));
  return out;
}

function fromResult(check: CheckResult): LiveCheck {
  return {
    id: check.id,
    title: check.title,
    status: check.status,
    ms: check.ms,
    ...(check.detail ? { detail: check.detail } : {}),
    ...(check.cause ? { cause: check.cause } : {}),
  };
}

/** Which guided-setup step each doctor check verifies (by check id). */
const STEP_OF_CHECK: Record<string, string> = {
  'company.exists': 'subscription',
  'company.subscription': 'subscription',
  'sender.authorization': 'authorization',
  'user.signin': 'user',
  'user.kind': 'user',
  'role.assigned': 'permissions',
  'module.subscription': 'permissions',
  'permissions.required': 'permissions',
  'user.admin': 'permissions',
  'entity.access': 'entity',
};

export type StepVerdict = 'pass' | 'fail' | 'warn';

/**
 * Turns check results into a verdict per setup step, so the step list can turn green or point at the
 * step that needs work. Later lists win (a full run overrides the precheck). Steps without a decided
 * check get no verdict rather than a guess.
 */
export function stepVerdicts(...lists: { id: string; status: string }[][]): Record<string, StepVerdict> {
  const out: Record<string, StepVerdict> = {};
  for (const list of lists) {
    const perStep: Record<string, string[]> = {};
    for (const check of list) {
      const step = STEP_OF_CHECK[check.id];
      if (!step) continue;
      const statuses = perStep[step] ?? [];
      statuses.push(check.status);
      perStep[step] = statuses;
    }
    for (const [step, statuses] of Object.entries(perStep)) {
      if (statuses.includes('fail')) out[step] = 'fail';
      else if (statuses.includes('warn')) out[step] = 'warn';
      else if (statuses.every((s) => s === 'pass' || s === 'skip') && statuses.includes('pass'))
        out[step] = 'pass';
      else delete out[step];
    }
  }
  return out;
}

/**
 * A precheck signs in with a probe user, so the user-level checks it reports are never decided; only
 * decided checks and the company-level ones (which the precheck exists for) are worth showing.
 */
export function precheckRelevant<T extends { id: string; status: string }>(checks: T[]): T[] {
  return checks.filter(
    (c) =>
      (c.status !== 'unknown' && c.status !== 'skip') ||
      c.id.startsWith('company.') ||
      c.id.startsWith('sender.'),
  );
}

/**
 * The company's permission type, when a finished run revealed it: the doctor records it on permission
 * findings, and "no role" only happens in role-based companies. Null when nothing said so.
 */
export function detectPermissionModel(
  findings: { cause: string; evidence?: Record<string, unknown> }[] | undefined,
): 'role' | 'user' | null {
  for (const f of findings ?? []) {
    const model = f.evidence?.permissionModel;
    if (model === 'role' || model === 'user') return model;
    if (f.cause === 'permission.no_role') return 'role';
  }
  return null;
}
