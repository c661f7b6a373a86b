import { api } from './api.js';

const TOKEN_KEY = 'intacct-connect:token';
const MGMT_KEY = 'intacct-connect:management-key';

function read(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Blocked storage (some iframes): the value then lives only as long as the page.
  }
}

export type TokenOutcome = { token: string } | { error: 'missing' | 'network' };

/**
 * The connect token: from `?token=` (a connect-session link), else the one kept for this tab (it must
 * survive the OAuth round trip), else a fresh one from the server when it runs in demo/public mode.
 */
export async function obtainToken(search: string): Promise<TokenOutcome> {
  const fromUrl = new URLSearchParams(search).get('token');
  if (fromUrl) {
    write(TOKEN_KEY, fromUrl);
    return { token: fromUrl };
  }
  const kept = read(TOKEN_KEY);
  if (kept) return { token: kept };
  try {
    const { token } = await api.createToken();
    write(TOKEN_KEY, token);
    return { token };
  } catch (error) {
    return { error: (error as { status?: number }).status === 0 ? 'network' : 'missing' };
  }
}

export function forgetToken(): void {
  write(TOKEN_KEY, null);
}

export const managementKey = {
  get: () => read(MGMT_KEY),
  set: (value: string | null) => write(MGMT_KEY, value),
};
