import { useEffect, useState } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'intacct-connect:theme';
const ORDER: ThemeChoice[] = ['system', 'light', 'dark'];

function stored(): ThemeChoice {
  try {
    const value = localStorage.getItem(KEY);
    if (value === 'light' || value === 'dark') return value;
  } catch {
    // Storage can be blocked in third-party iframes; fall back to the system theme.
  }
  const fromUrl = new URLSearchParams(window.location.search).get('theme');
  return fromUrl === 'light' || fromUrl === 'dark' ? fromUrl : 'system';
}

/** The colour theme: the system preference unless the person (or the embedding link) picked one. */
export function useTheme(): [ThemeChoice, () => void] {
  const [choice, setChoice] = useState<ThemeChoice>(stored);
  useEffect(() => {
    const root = document.documentElement;
    if (choice === 'system') root.removeAttribute('data-theme');
    else root.setAttribute('data-theme', choice);
    try {
      if (choice === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // See above.
    }
  }, [choice]);
  const cycle = () => setChoice((c) => ORDER[(ORDER.indexOf(c) + 1) % ORDER.length] ?? 'system');
  return [choice, cycle];
}
