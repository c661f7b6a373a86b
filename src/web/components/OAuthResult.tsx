import { useEffect, useRef, useState } from 'react';
import type { Finding } from '../../shared/report.js';
import { api, type ConnectionView } from '../api.js';
import { post } from '../embed.js';
import { m } from '../messages.js';
import { href } from '../router.js';
import { errorText, Notice } from './common.js';
import { FindingCard } from './Finding.js';

function findingFromArticle(cause: string, title: unknown, article: Record<string, unknown>): Finding {
  const fix = Array.isArray(article.fix) ? article.fix.filter((x): x is string => typeof x === 'string') : [];
  return {
    cause: cause as Finding['cause'],
    severity: 'error',
    title: typeof title === 'string' ? title : String(article.title ?? cause),
    detail: typeof article.summary === 'string' ? article.summary : '',
    fix,
    article: cause as Finding['article'],
  };
}

/** Where the OAuth callback lands (`#/oauth-result/<id>`): shows the stored connection's outcome. */
export function OAuthResult({ id, token }: { id: string; token: string }) {
  const [state, setState] = useState<{ connection?: ConnectionView; error?: string; notFound?: boolean }>({});
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
    api.connection(token, id).then(
      (connection) => {
        setState({ connection });
        const root = connection.report?.findings.find((f) => f.severity === 'error');
        const issue = connection.issues?.[0];
        post(
          connection.status === 'connected'
            ? {
                event: 'connected',
                connectionId: connection.id,
                companyId: connection.companyId,
                status: 'connected',
              }
            : {
                event: 'failed',
                connectionId: connection.id,
                companyId: connection.companyId,
                status: 'failed',
                cause: root?.cause ?? (typeof issue?.cause === 'string' ? issue.cause : null),
                title: root?.title ?? (typeof issue?.title === 'string' ? issue.title : null),
              },
        );
      },
      (e) => {
        const status = (e as { status?: number }).status;
        setState({ error: errorText(e), notFound: status === 404 || status === 403 });
      },
    );
  }, [id, token]);
  const c = state.connection;
  const issue = c?.issues?.[0];
  const issueCause = typeof issue?.cause === 'string' ? issue.cause : null;
  const [article, setArticle] = useState<Record<string, unknown> | null>(null);
  // The stored connection carries issues, not the full report: the catalog article supplies the fix.
  useEffect(() => {
    if (!issueCause || c?.report) return;
    api.article(issueCause).then(setArticle, () => setArticle(null));
  }, [issueCause, c?.report]);
  const root =
    c?.report?.findings.find((f) => f.severity === 'error') ??
    (issueCause && article ? findingFromArticle(issueCause, issue?.title, article) : undefined);
  return (
    <div className="card oauth-result">
      <h1 ref={headingRef} tabIndex={-1}>
        {m.oauthResult.heading}
      </h1>
      {!c && !state.error && <p>{m.oauthResult.loading}</p>}
      {state.error && <Notice kind="error">{state.notFound ? m.oauthResult.notFound : state.error}</Notice>}
      {c?.status === 'connected' && (
        <div className="notice notice-success" role="status">
          <p className="outcome-title">
            <span aria-hidden="true">✓ </span>
            {m.checks.connected(c.companyId)}
          </p>
          <p>{m.checks.connectedDetail}</p>
        </div>
      )}
      {c && c.status !== 'connected' && (
        <>
          <div role="alert">
            <p className="outcome-title">{m.checks.failedHeading}</p>
          </div>
          {root && <FindingCard finding={root} rootCause headingLevel={2} />}
          {!root &&
            (c.issues ?? []).map((issue, i) => (
              <p key={String(issue.id ?? i)}>
                {String(issue.title ?? issue.cause ?? '')}{' '}
                {typeof issue.cause === 'string' && (
                  <a href={href({ name: 'help', article: issue.cause })}>{m.common.learnMore}</a>
                )}
              </p>
            ))}
        </>
      )}
      {(state.error || (c && c.status !== 'connected')) && (
        <p>
          <a className="button" href={href({ name: 'setup', step: 'credentials' })}>
            {m.oauthResult.startOver}
          </a>
        </p>
      )}
    </div>
  );
}
