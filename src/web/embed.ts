/**
 * Events for the page that embeds or opened the Connect UI. Shapes (documented in docs/web.md):
 *   { type: 'intacct-connect:ready',     event: 'ready' }
 *   { type: 'intacct-connect:connected', event: 'connected', connectionId, companyId, status: 'connected' }
 *   { type: 'intacct-connect:failed',    event: 'failed', connectionId, companyId, status: 'failed', cause, title }
 *   { type: 'intacct-connect:closed',    event: 'closed', connectionId? }
 * No secret is ever part of an event.
 */
export type EmbedEvent =
  | { event: 'ready' }
  | { event: 'connected'; connectionId: string; companyId: string; status: 'connected' }
  | {
      event: 'failed';
      connectionId: string | null;
      companyId: string;
      status: 'failed';
      cause: string | null;
      title: string | null;
    }
  | { event: 'closed'; connectionId?: string | null };

export type EmbedMessage = EmbedEvent & { type: `intacct-connect:${EmbedEvent['event']}` };

export function toMessage(event: EmbedEvent): EmbedMessage {
  return { ...event, type: `intacct-connect:${event.event}` } as EmbedMessage;
}

/** The window that embeds (iframe parent) or opened (popup) this page, if any. */
export function hostWindow(): Window | null {
  if (window.parent && window.parent !== window) return window.parent;
  if (window.opener && window.opener !== window) return window.opener as Window;
  return null;
}

export function isEmbedded(): boolean {
  return hostWindow() !== null;
}

/**
 * `?origin=` in the connect link restricts who receives events; without it they go to any origin, which
 * is acceptable only because events never carry secrets.
 */
export function targetOrigin(search: string): string {
  const origin = new URLSearchParams(search).get('origin');
  if (!origin) return '*';
  try {
    return new URL(origin).origin;
  } catch {
    return '*';
  }
}

export function post(event: EmbedEvent): void {
  const host = hostWindow();
  if (!host) return;
  try {
    host.postMessage(toMessage(event), targetOrigin(window.location.search));
  } catch {
    // A closed opener or a mismatched origin must never break the page itself.
  }
}
