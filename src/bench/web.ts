/**
 * Connect UI size budget: the JavaScript a browser must fetch for the first screen (the entry scripts and
 * their modulepreloads named in dist/web/index.html), gzipped, against the 150 KB budget of issue 7.
 * Lazy chunks are listed separately: they are not part of the first load.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { packagePath } from '../shared/paths.js';

const BUDGET_BYTES = 150 * 1024;

/** Asset URLs the first load fetches: module scripts, modulepreloads and stylesheets, in page order. */
export function firstLoadAssets(html: string): { scripts: string[]; styles: string[] } {
  const scripts: string[] = [];
  const styles: string[] = [];
  for (const tag of html.match(/<(script|link)\b[^>]*>/gi) ?? []) {
    const attr = (name: string) => new RegExp(`\\b${name}\\s*=\\s*["']([^"']+)["']`, 'i').exec(tag)?.[1];
    if (/^<script/i.test(tag)) {
      const src = attr('src');
      if (src) scripts.push(src);
    } else {
      const rel = attr('rel')?.toLowerCase();
      const href = attr('href');
      if (href && rel === 'modulepreload') scripts.push(href);
      if (href && rel === 'stylesheet') styles.push(href);
    }
  }
  return { scripts, styles };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function main(): number {
  const dir = packagePath('dist', 'web');
  if (!existsSync(`${dir}/index.html`)) {
    console.log('dist/web/index.html is missing: run `node scripts/build.mjs` first.');
    return 1;
  }
  const html = readFileSync(`${dir}/index.html`, 'utf8');
  const { scripts, styles } = firstLoadAssets(html);
  const measure = (url: string) => {
    const body = readFileSync(`${dir}/${url.replace(/^\//, '')}`);
    return { url, raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
  };
  const js = scripts.map(measure);
  const css = styles.map(measure);
  const rows = [...js, ...css];
  const width = Math.max(...rows.map((r) => r.url.length), 10);
  console.log(`${'asset'.padEnd(width)}  ${'raw'.padStart(9)}  ${'gzip -9'.padStart(9)}`);
  for (const r of rows)
    console.log(`${r.url.padEnd(width)}  ${kb(r.raw).padStart(9)}  ${kb(r.gzip).padStart(9)}`);
  const firstLoad = new Set([...scripts, ...styles].map((u) => u.split('/').pop()));
  const lazy = readdirSync(`${dir}/assets`).filter((f) => f.endsWith('.js') && !firstLoad.has(f));
  if (lazy.length) console.log(`lazy chunks (not in the first load): ${lazy.join(', ')}`);
  const jsGzip = js.reduce((sum, r) => sum + r.gzip, 0);
  const cssGzip = css.reduce((sum, r) => sum + r.gzip, 0);
  const ratio = jsGzip / BUDGET_BYTES;
  console.log(
    `first-load JS: ${kb(jsGzip)} gzipped vs budget ${kb(BUDGET_BYTES)} = ${(ratio * 100).toFixed(0)}% of budget` +
      ` (${ratio <= 1 ? 'within' : 'OVER'}); CSS ${kb(cssGzip)} gzipped`,
  );
  return ratio <= 1 ? 0 : 1;
}

// Run only as a script (npm run bench), not when a test imports the parser.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
