import { useEffect, useState } from 'react';

/** A parsed hash route. Hash routing keeps every screen reachable from a static file server and an iframe. */
export type Route =
  | { name: 'setup'; step: string | null }
  | { name: 'oauth-result'; id: string }
  | { name: 'oauth-error'; reason: string }
  | { name: 'help'; article: string | null }
  | { name: 'dashboard' };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  const [head, second] = parts;
  if (head === 'help') return { name: 'help', article: second ?? null };
  if (head === 'dashboard') return { name: 'dashboard' };
  if (head === 'oauth-result' && second) return { name: 'oauth-result', id: second };
  if (head === 'oauth-error') return { name: 'oauth-error', reason: second ?? 'unknown' };
  if (head === 'connect') return { name: 'setup', step: 'credentials' };
  if (head === 'setup') return { name: 'setup', step: second ?? null };
  return { name: 'setup', step: null };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function href(route: Route): string {
  switch (route.name) {
    case 'help':
      return route.article ? `#/help/${encodeURIComponent(route.article)}` : '#/help';
    case 'dashboard':
      return '#/dashboard';
    case 'oauth-result':
      return `#/oauth-result/${encodeURIComponent(route.id)}`;
    case 'oauth-error':
      return `#/oauth-error/${encodeURIComponent(route.reason)}`;
    case 'setup':
      return route.step ? `#/setup/${encodeURIComponent(route.step)}` : '#/';
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(route: Route): void {
  window.location.hash = href(route);
}
