import { fileURLToPath } from 'node:url';

/**
 * The package root. This file sits at src/shared/paths.ts (tests) or dist/shared/paths.js (built),
 * both two levels below the root, so data folders (catalog/, worlds/) resolve the same either way.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function packagePath(...parts: string[]): string {
  return [PACKAGE_ROOT.replace(/\/$/, ''), ...parts].join('/');
}
