import { useRef } from 'react';
import type { DoctorReport } from '../../shared/report.js';
import { m } from '../messages.js';
import type { LiveCheck } from '../progress.js';
import { href } from '../router.js';
import { useFocusOnChange } from './common.js';
import { FindingCard, StatusBadge } from './Finding.js';

export interface RunState {
  phase: 'running' | 'done' | 'error';
  checks: LiveCheck[];
  announcement: string;
  companyId: string;
  connectionId?: string;
  status?: string;
  report?: DoctorReport;
  error?: string;
}

export function CheckList({ checks, label }: { checks: LiveCheck[]; label: string }) {
  return (
    <ol className="checks" aria-label={label}>
      {checks.map((check) => (
        <li
          key={check.id}
          className={`check check-${check.status}`}
          data-check={check.id}
          data-status={check.status}
        >
          <StatusBadge status={check.status} />
          <span className="check-title">{check.title}</span>
          {check.detail && (check.status === 'fail' || check.status === 'warn') && (
            <span className="check-detail">{check.detail}</span>
          )}
          {check.cause && (check.status === 'fail' || check.status === 'warn') && (
            <a className="check-detail" href={href({ name: 'help', article: check.cause })}>
              {m.common.learnMore}
              <span className="visually-hidden">: {check.title}</span>
            </a>
          )}
        </li>
      ))}
    </ol>
  );
}

/** The live check list and, once the stream ends, the outcome (CONTRACT §2c). */
export function LiveChecks({
  run,
  onTryAgain,
  onDone,
}: {
  run: RunState;
  onTryAgain: () => void;
  onDone?: (() => void) | undefined;
}) {
  const outcomeRef = useRef<HTMLDivElement>(null);
  useFocusOnChange(outcomeRef, run.phase);
  const report = run.report;
  const findings = report?.findings ?? [];
  const connected = run.phase === 'done' && run.status === 'connected';
  const root = findings.find((f) => f.severity === 'error');
  const others = findings.filter((f) => f !== root);
  return (
    <section aria-labelledby="checks-heading" className="live">
      <h3 id="checks-heading">{run.phase === 'running' ? m.checks.heading : m.checks.doneHeading}</h3>
      <CheckList checks={run.checks} label={m.checks.listLabel} />
      {/* Announces one line per change, instead of re-reading the whole list. */}
      <p className="visually-hidden" aria-live="polite" aria-atomic="true">
        {run.announcement}
      </p>
      {run.phase !== 'running' && (
        <div ref={outcomeRef} tabIndex={-1} className="outcome">
          {run.phase === 'error' && (
            <div className="notice notice-error" role="alert">
              {run.error}
            </div>
          )}
          {connected && (
            <div className="notice notice-success" role="status">
              <p className="outcome-title">
                <span aria-hidden="true">✓ </span>
                {m.checks.connected(run.companyId)}
              </p>
              <p>{m.checks.connectedDetail}</p>
            </div>
          )}
          {run.phase === 'done' && !connected && (
            <div className="failed" role="alert" aria-label={m.checks.failedHeading}>
              <p className="outcome-title">{m.checks.failedHeading}</p>
            </div>
          )}
          {root && <FindingCard finding={root} rootCause headingLevel={3} />}
          {others.length > 0 && (
            <>
              <h3>{connected ? m.checks.warnings : m.checks.otherFindings}</h3>
              {others.map((f) => (
                <FindingCard key={`${f.cause}:${f.title}`} finding={f} headingLevel={4} />
              ))}
            </>
          )}
          {report && <p className="muted">{m.checks.roundTrips(report.roundTrips, report.ms)}</p>}
          <div className="actions">
            {!connected && (
              <button type="button" onClick={onTryAgain}>
                {m.checks.tryAgain}
              </button>
            )}
            {connected && onDone && (
              <button type="button" onClick={onDone}>
                {m.checks.done}
              </button>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
