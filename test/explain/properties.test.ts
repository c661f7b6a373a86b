import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { explain } from '../../src/doctor/explain/index.js';

const corpus = parse(readFileSync(new URL('./corpus.yaml', import.meta.url), 'utf8')) as Array<{
  expect: string | null;
  text: string;
}>;
const positives = corpus.filter((e) => e.expect !== null);
const negatives = corpus.filter((e) => e.expect === null);

const htmlEscape = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#039;');

/** The ways pasted text gets wrapped on its way to us: a JSON log field, an HTML page, a URL, a log prefix. */
const wrappings: Array<[string, (s: string) => string]> = [
  ['json log field', (s) => JSON.stringify({ level: 'error', at: '2025-07-14T02:11:09Z', body: s })],
  ['html escaped', (s) => `<pre>${htmlEscape(s)}</pre>`],
  ['url encoded', (s) => encodeURIComponent(s)],
  ['log prefix', (s) => `Jul 14 02:11:09 worker-2 sync[881]: ${s.replace(/\n/g, ' ')}`],
  ['crlf and tabs', (s) => s.replace(/\n/g, '\r\n').replace(/ /g, '\t ')],
];

/** Random text built from the pieces real pastes are made of, so the extractors get exercised. */
const FRAGMENTS = [
  '<',
  '>',
  '</',
  '<errorno>',
  '</errorno>',
  '<status>failure</status>',
  '<control>',
  '<authentication>',
  '<result>',
  '&#039;',
  '&amp;',
  '&lt;',
  '%7E',
  '%',
  '\\u2019',
  '\\"',
  '{"error":"',
  '"code":"',
  '}',
  'ia::error',
  'XL03000006',
  'GW-0011',
  'REST-1216',
  'HTTP/1.1 ',
  '429',
  ' status ',
  'Sign-in information is incorrect',
  'invalid_grant',
  'readpartneruserinfo',
  '[Support ID: ',
  ']',
  '\n',
  '\u00a0',
  '\u2013',
  'timed out',
  'intacct',
];
const pasteLike = fc
  .array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...FRAGMENTS)), { maxLength: 40 })
  .map((parts) => parts.join(''));

describe('explain properties', () => {
  it('never throws, and answers sorted, unique, bounded matches for any text', () => {
    fc.assert(
      fc.property(pasteLike, (text) => {
        const { matches } = explain(text);
        expect(matches.length).toBeLessThanOrEqual(8);
        for (let i = 1; i < matches.length; i++) {
          expect(matches[i - 1]!.confidence).toBeGreaterThanOrEqual(matches[i]!.confidence);
        }
        expect(new Set(matches.map((m) => m.cause)).size).toBe(matches.length);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the top cause when any corpus text is wrapped the way logs and pages wrap it', () => {
    const misses: string[] = [];
    for (const entry of positives) {
      for (const [name, wrap] of wrappings) {
        const top = explain(wrap(entry.text)).matches[0]?.cause;
        if (top !== entry.expect)
          misses.push(`${name}: expected ${entry.expect}, got ${top}: ${entry.text.slice(0, 70)}`);
      }
    }
    expect(misses).toEqual([]);
  });

  it('keeps negatives negative when they are wrapped the same ways', () => {
    for (const entry of negatives) {
      for (const [name, wrap] of wrappings) {
        expect(explain(wrap(entry.text)).matches, `${name}: ${entry.text.slice(0, 80)}`).toEqual([]);
      }
    }
  });
});
