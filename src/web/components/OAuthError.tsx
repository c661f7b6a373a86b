import { useEffect, useRef } from 'react';
import { post } from '../embed.js';
import { m } from '../messages.js';
import { href } from '../router.js';

/** Where the OAuth callback sends the browser when the flow failed before a connection existed. */
export function OAuthError({ reason }: { reason: string }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const cause = reason === 'access_denied' ? 'oauth.access_denied' : null;
  useEffect(() => {
    headingRef.current?.focus();
    post({ event: 'failed', connectionId: null, companyId: '', status: 'failed', cause, title: null });
  }, [cause]);
  const text =
    reason === 'access_denied'
      ? m.oauthResult.denied
      : reason === 'state_mismatch'
        ? m.oauthResult.stateMismatch
        : m.oauthResult.otherError(reason);
  return (
    <div className="card oauth-result">
      <h1 ref={headingRef} tabIndex={-1}>
        {m.oauthResult.errorHeading}
      </h1>
      <div className="notice notice-error" role="alert">
        <p>{text}</p>
      </div>
      {cause && (
        <p>
          <a href={href({ name: 'help', article: cause })}>{m.common.learnMore}</a>
        </p>
      )}
      <p>
        <a className="button" href={href({ name: 'setup', step: 'credentials' })}>
          {m.oauthResult.startOver}
        </a>
      </p>
    </div>
  );
}
