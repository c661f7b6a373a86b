import type { CheckResult, ProgressEvent } from '../shared/report.js';
import type { LiveStatus } from './components/Finding.js';

export interface LiveCheck {
  id: string;
  title: string;
  status: LiveStatus;
  detail?: string;
  ms?: number;
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
  };
}
