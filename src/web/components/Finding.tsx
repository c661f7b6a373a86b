import type { CheckStatus, Finding, MissingPermission } from '../../shared/report.js';
import { m } from '../messages.js';
import { href } from '../router.js';

/** One finding with its fix steps, the missing permissions when known, and the link to its article. */
export function FindingCard({
  finding,
  headingLevel = 3,
  rootCause = false,
}: {
  finding: Finding;
  headingLevel?: 2 | 3 | 4;
  rootCause?: boolean;
}) {
  const Heading = `h${headingLevel}` as 'h2' | 'h3' | 'h4';
  const Sub = `h${Math.min(headingLevel + 1, 6)}` as 'h3' | 'h4' | 'h5';
  const missing = finding.evidence?.missing ?? [];
  return (
    <article className={`finding finding-${finding.severity}`} aria-label={finding.title}>
      {rootCause && <p className="finding-kicker">{m.checks.rootCause}</p>}
      <Heading className="finding-title">{finding.title}</Heading>
      {finding.detail && <p>{finding.detail}</p>}
      {missing.length > 0 && (
        <>
          <Sub>{m.checks.missingHeading}</Sub>
          <MissingTable missing={missing} />
        </>
      )}
      {finding.fix.length > 0 && (
        <>
          <Sub>{m.checks.fixHeading}</Sub>
          <ol className="steps">
            {finding.fix.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
        </>
      )}
      {finding.article && (
        <p>
          <a href={href({ name: 'help', article: finding.article })}>
            {m.common.learnMore}: {finding.title}
          </a>
        </p>
      )}
    </article>
  );
}

export function MissingTable({ missing }: { missing: MissingPermission[] }) {
  return (
    <table className="data">
      <caption className="visually-hidden">{m.checks.missingHeading}</caption>
      <thead>
        <tr>
          <th scope="col">{m.setup.permissions.module}</th>
          <th scope="col">{m.setup.permissions.permission}</th>
          <th scope="col">{m.setup.permissions.rights}</th>
          <th scope="col">{m.setup.permissions.objects}</th>
        </tr>
      </thead>
      <tbody>
        {missing.map((item) => (
          <tr key={`${item.object}:${item.operation}`}>
            <td>{item.module ?? '—'}</td>
            <td>{item.permission ?? '—'}</td>
            <td>{item.rights?.join(', ') ?? '—'}</td>
            <td>
              <code>{item.object}</code> ({item.operation})
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const ICONS: Record<CheckStatus | 'pending' | 'running', string> = {
  pending: '○',
  running: '◌',
  pass: '✓',
  fail: '✕',
  warn: '!',
  skip: '–',
  unknown: '?',
};

export type LiveStatus = CheckStatus | 'pending' | 'running';

export function StatusBadge({ status }: { status: LiveStatus }) {
  return (
    <span className={`badge badge-${status}`}>
      <span aria-hidden="true" className="badge-icon">
        {ICONS[status]}
      </span>{' '}
      {m.checks.status[status]}
    </span>
  );
}
