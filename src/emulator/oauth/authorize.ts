import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import type { Client } from '../world/schema.js';
import { type OAuthState, type PendingAuthorization, randomId } from './state.js';
import { scopesOf } from './token.js';

/**
 * The authorize leg (reference §3.2, §4.6): Intacct's sign-in page, then the consent page. Problems
 * that make the redirect URI untrustworthy (unknown client, unregistered redirect) end on an error page;
 * everything after that goes back to the application as `?error=` on its redirect URI.
 */

const PENDING_TTL_MS = 15 * 60_000;
const CODE_TTL_MS = 10 * 60_000;

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)} | Sage Intacct (emulator)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1d1d1b}
label{display:block;margin-top:1rem}input{width:100%;padding:.4rem;font-size:1rem}
button{margin-top:1.2rem;margin-right:.5rem;padding:.5rem 1.2rem;font-size:1rem}
.error{color:#a4000f;border-left:4px solid #a4000f;padding-left:.6rem}</style></head>
<body><main><h1>${esc(title)}</h1>
${body}
</main></body></html>
`;
}

export function errorPage(reply: FastifyReply, status: number, title: string, message: string, code: string) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(page(title, `<p class="error" role="alert" data-error="${esc(code)}">${esc(message)}</p>`));
}

function signInForm(
  action: string,
  requestId: string,
  client: Client,
  message?: string,
  values?: Record<string, string>,
) {
  const v = (k: string) => esc(values?.[k] ?? '');
  return page(
    'Sign in to Sage Intacct',
    `<p>${esc(client.name ?? client.id)} wants to connect to your Sage Intacct company.</p>
${message ? `<p class="error" role="alert">${esc(message)}</p>` : ''}
<form method="post" action="${esc(action)}">
<input type="hidden" name="request" value="${esc(requestId)}">
<input type="hidden" name="step" value="signin">
<label for="company_id">Company ID</label><input id="company_id" name="company_id" value="${v('company_id')}" autocomplete="organization" required>
<label for="user_id">User ID</label><input id="user_id" name="user_id" value="${v('user_id')}" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

function consentForm(action: string, requestId: string, client: Client, p: PendingAuthorization) {
  const scopes = p.scopes.length ? p.scopes.join(', ') : 'none';
  return page(
    'Authorize access',
    `<p><strong>${esc(client.name ?? client.id)}</strong> is asking to access company
<strong>${esc(p.signedIn!.companyId)}</strong> as <strong>${esc(p.signedIn!.userId)}</strong>,
with your permissions. Requested scopes: ${esc(scopes)}.</p>
<form method="post" action="${esc(action)}">
<input type="hidden" name="request" value="${esc(requestId)}">
<input type="hidden" name="step" value="consent">
<button type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="decline">Decline</button>
</form>`,
  );
}

function redirectWith(reply: FastifyReply, redirectUri: string, params: Record<string, string | undefined>) {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return reply.code(302).header('location', url.toString()).header('cache-control', 'no-store').send();
}

const pathOf = (req: FastifyRequest) => req.url.split('?')[0]!;

export function authorizeGet(
  ctx: EmulatorContext,
  state: OAuthState,
  req: FastifyRequest,
  reply: FastifyReply,
) {
  const q = new URLSearchParams(req.url.split('?')[1] ?? '');
  const client = ctx.world.clients.find((c) => c.id === q.get('client_id'));
  if (!client) {
    return errorPage(
      reply,
      400,
      'Invalid client',
      'The client_id is not a registered application.',
      'invalid_client',
    );
  }
  const redirectUri = q.get('redirect_uri') ?? '';
  if (!client.redirectUris.includes(redirectUri)) {
    return errorPage(
      reply,
      400,
      'Invalid redirect URI',
      'The redirect_uri does not match any redirect URI registered for this application.',
      'redirect_uri_mismatch',
    );
  }
  const stateParam = q.get('state') ?? undefined;
  if (q.get('response_type') !== 'code') {
    return redirectWith(reply, redirectUri, { error: 'unsupported_response_type', state: stateParam });
  }
  const challenge = q.get('code_challenge') ?? undefined;
  const method = q.get('code_challenge_method') ?? (challenge ? 'plain' : undefined);
  if ((challenge && method !== 'S256') || (!challenge && method)) {
    return redirectWith(reply, redirectUri, {
      error: 'invalid_request',
      error_description: 'code_challenge_method must be S256',
      state: stateParam,
    });
  }
  const id = randomId(16);
  // Abandoned sign-ins would otherwise pile up for the emulator's lifetime.
  for (const [key, p] of state.pending) if (p.expiresAt <= ctx.now()) state.pending.delete(key);
  state.pending.set(id, {
    clientId: client.id,
    redirectUri,
    state: stateParam,
    scopes: scopesOf(q.get('scope')),
    codeChallenge: challenge,
    expiresAt: ctx.now() + PENDING_TTL_MS,
  });
  return reply
    .code(200)
    .type('text/html; charset=utf-8')
    .send(signInForm(pathOf(req), id, client));
}

export function authorizePost(
  ctx: EmulatorContext,
  state: OAuthState,
  req: FastifyRequest,
  reply: FastifyReply,
) {
  const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
  const id = form.get('request') ?? '';
  const pending = state.pending.get(id);
  const client = pending ? ctx.world.clients.find((c) => c.id === pending.clientId) : undefined;
  if (!pending || !client || pending.expiresAt <= ctx.now()) {
    return errorPage(
      reply,
      400,
      'Sign-in expired',
      'This sign-in request is unknown or has expired. Start again from the application.',
      'expired',
    );
  }
  const action = pathOf(req);
  if (form.get('step') === 'signin') {
    const values = { company_id: form.get('company_id') ?? '', user_id: form.get('user_id') ?? '' };
    const result = ctx.checkSignIn({
      company: values.company_id,
      userId: values.user_id,
      password: form.get('password') ?? '',
      address: ctx.clientAddress(req),
      via: 'oauth',
      skip: ['subscription', 'entity'],
    });
    if (!result.ok) {
      return reply
        .code(200)
        .type('text/html; charset=utf-8')
        .send(
          signInForm(
            action,
            id,
            client,
            'Invalid sign-in. Check the company ID, user ID and password.',
            values,
          ),
        );
    }
    if (result.user.webServicesOnly) {
      return reply
        .code(200)
        .type('text/html; charset=utf-8')
        .send(
          signInForm(
            action,
            id,
            client,
            'Web Services users cannot sign in to Sage Intacct pages. Sign in as a regular user.',
            values,
          ),
        );
    }
    pending.signedIn = { companyId: result.company.id, userId: result.user.id };
    return reply
      .code(200)
      .type('text/html; charset=utf-8')
      .send(consentForm(action, id, client, pending));
  }
  if (form.get('step') !== 'consent' || !pending.signedIn) {
    return errorPage(reply, 400, 'Sign-in required', 'Sign in before giving consent.', 'signin_required');
  }
  state.pending.delete(id);
  if (form.get('decision') !== 'accept') {
    return redirectWith(reply, pending.redirectUri, { error: 'access_denied', state: pending.state });
  }
  const company = ctx.findCompany(pending.signedIn.companyId)!;
  const user = ctx.findUser(company, pending.signedIn.userId)!;
  const auth = company.senderAuthorizations.find((a) => a.sender === client.sender);
  if (auth?.status !== 'active') {
    if (user.admin === 'off') {
      const message = `The application's sender ID ${client.sender} is not authorized for company ${company.id}, and only an administrator's consent can authorize it.`;
      if (ctx.behaviours.nonAdminConsentUnauthorizedSender === 'redirect') {
        return redirectWith(reply, pending.redirectUri, {
          error: 'unauthorized_client',
          error_description: message,
          state: pending.state,
        });
      }
      return errorPage(reply, 403, 'Administrator approval needed', message, 'sender_not_authorized');
    }
    // An admin's consent authorizes the sender (reference §1.1, Web Services authorizations).
    if (auth) auth.status = 'active';
    else company.senderAuthorizations.push({ sender: client.sender, status: 'active' });
  }
  if (ctx.behaviours.consentCreatesAcaRow && !company.authorizedClients.some((r) => r.client === client.id)) {
    company.authorizedClients.push({ client: client.id, status: 'active' });
  }
  const code = randomId(32);
  state.codes.set(code, {
    grantFields: {
      clientId: client.id,
      companyId: company.id,
      userId: user.id,
      entityId: undefined,
      scopes: pending.scopes,
    },
    redirectUri: pending.redirectUri,
    codeChallenge: pending.codeChallenge,
    expiresAt: ctx.now() + CODE_TTL_MS,
    used: false,
  });
  return redirectWith(reply, pending.redirectUri, { code, state: pending.state });
}
