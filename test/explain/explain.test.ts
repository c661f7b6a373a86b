import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { explain } from '../../src/doctor/explain/index.js';
import { decode, normalizeText } from '../../src/doctor/explain/normalize.js';
import { CAUSE_IDS, type CauseId } from '../../src/shared/causes.js';

interface CorpusEntry {
  form: string;
  expect: CauseId | null;
  text: string;
}

const corpus = parse(readFileSync(new URL('./corpus.yaml', import.meta.url), 'utf8')) as CorpusEntry[];

describe('explain corpus', () => {
  it('is big and varied enough to mean something', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(80);
    expect(corpus.filter((e) => e.expect === null).length).toBeGreaterThanOrEqual(15);
    for (const e of corpus) if (e.expect !== null) expect(CAUSE_IDS).toContain(e.expect);
    const forms = new Set(corpus.map((e) => e.form.split('-')[e.form.startsWith('holdout') ? 1 : 0]));
    for (const f of ['xml', 'json', 'sdk', 'log', 'html', 'http', 'sentence', 'email', 'negative']) {
      expect(forms, f).toContain(f);
    }
  });

  it('ranks the expected cause first for ≥ 95% of texts, with no false positive on negatives', () => {
    const positives = corpus.filter((e) => e.expect !== null);
    const negatives = corpus.filter((e) => e.expect === null);
    const wrong: string[] = [];
    let correct = 0;
    for (const e of positives) {
      const top = explain(e.text).matches[0]?.cause;
      if (top === e.expect) correct++;
      else wrong.push(`[${e.form}] expected ${e.expect}, got ${top ?? 'none'}: ${e.text.slice(0, 80)}`);
    }
    const falsePositives = negatives
      .map((e) => ({ e, matches: explain(e.text).matches }))
      .filter((r) => r.matches.length > 0)
      .map((r) => `[${r.e.form}] ${r.matches[0]!.cause}: ${r.e.text.slice(0, 80)}`);
    const accuracy = correct / positives.length;
    console.log(
      `explain corpus: top-1 accuracy ${(accuracy * 100).toFixed(1)}% (${correct}/${positives.length}), ` +
        `false positives ${falsePositives.length}/${negatives.length}`,
    );
    if (wrong.length) console.log(wrong.join('\n'));
    expect(falsePositives).toEqual([]);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
  });
});

describe('explain behaviour', () => {
  it('returns several weaker candidates for a bare XL03000006, most likely first', () => {
    const { matches } = explain('XL03000006');
    const causes = matches.map((m) => m.cause);
    expect(causes.slice(0, 4)).toEqual([
      'user.invalid_credentials',
      'sender.not_authorized',
      'sender.invalid_credentials',
      'session.invalid',
    ]);
    for (const m of matches) expect(m.confidence).toBeLessThan(0.5);
  });

  it('narrows XL03000006 by its text and layer, dropping the other meanings', () => {
    const sender = explain('XL03000006 Incorrect Intacct XML Partner ID or password.').matches;
    expect(sender[0]!.cause).toBe('sender.invalid_credentials');
    expect(sender[0]!.confidence).toBeGreaterThan(0.9);
    expect(sender.map((m) => m.cause)).not.toContain('session.invalid');

    const controlOnly = explain(
      '<control><status>failure</status><senderid>S</senderid></control><errormessage><error><errorno>XL03000006</errorno></error></errormessage>',
    ).matches;
    expect(controlOnly[0]).toMatchObject({
      cause: 'sender.invalid_credentials',
      layer: 'C',
      code: 'XL03000006',
    });
  });

  it('gives GW-0011 several candidates with the un-narrowed cause first', () => {
    const causes = explain('GW-0011').matches.map((m) => m.cause);
    expect(causes[0]).toBe('gateway.invalid_request');
    expect(causes).toEqual(expect.arrayContaining(['company.not_found', 'sender.not_authorized']));
  });

  it('ranks REST-1216 candidates by the reference order', () => {
    const causes = explain('REST-1216').matches.map((m) => m.cause);
    expect(causes.slice(0, 3)).toEqual([
      'oauth.invalid_client',
      'oauth.client_not_authorized',
      'oauth.scope_mismatch',
    ]);
  });

  it('normalizes entities, smart quotes, dashes, escapes and URL-encoding', () => {
    const forms = [
      'The sender ID &#039;X&#039; is not authorized to make Web Services requests to company ID &#039;c&#039;.',
      'The sender ID ‘X’ is not authorized to make Web Services requests to company ID ‘c’.',
      'The%20sender%20ID%20%27X%27%20is%20not%20authorized%20to%20make%20Web%20Services%20requests%20to%20company%20ID%20%27c%27.',
      '"The sender ID \\u0027X\\u0027 is not authorized to make Web\\nServices requests to company ID \\u0027c\\u0027."',
      '&lt;description2&gt;The sender ID &amp;#039;X&amp;#039; is not   authorized to make WEB SERVICES requests&lt;/description2&gt;',
    ];
    for (const text of forms) expect(explain(text).matches[0]?.cause, text).toBe('sender.not_authorized');
    expect(normalizeText(decode('a\u2013b \u201cq\u201d &nbsp;X'))).toBe('a-b "q" x');
    expect(
      explain('oauthpartneruser::readpartneruserinfo \u2014 error retrieving Intacct user').matches[0]?.cause,
    ).toBe('oauth.partner_user_not_found');
  });

  it('reports evidence: layer, code, HTTP status, Support IDs decoded, denied objects', () => {
    const [m] = explain(
      'HTTP/1.1 200 OK\n<result><status>failure</status><function>readByQuery</function><controlid>1</controlid><errormessage><error><errorno>PL04000005</errorno><description2>You do not have permission for API operation READ_BY_QUERY on objects of type apbill [Support ID: Ab%7ECd]</description2></error></errormessage></result>',
    ).matches;
    expect(m).toMatchObject({
      cause: 'permission.missing',
      layer: 'R',
      code: 'PL04000005',
      article: 'permission.missing',
      evidence: {
        httpStatus: 200,
        supportIds: ['Ab~Cd'],
        missing: [{ object: 'APBILL', operation: 'READ_BY_QUERY' }],
      },
    });
    expect(m!.fix.length).toBeGreaterThan(0);
    expect(m!.title).toMatch(/permission/i);
  });

  it('ignores weak evidence when every web address points at another service', () => {
    expect(
      explain('Request failed with status code 401 at https://api.example-crm.io/v1/contacts').matches,
    ).toEqual([]);
    expect(
      explain('Request failed with status code 401 at https://api.intacct.com/ia/api/v1/objects/x').matches,
    ).not.toEqual([]);
    // A named error still counts on the application's own host (an OAuth callback).
    expect(explain('https://app.example.com/cb?error=access_denied&state=1').matches[0]?.cause).toBe(
      'oauth.access_denied',
    );
  });

  it('returns no match for empty or unrelated input', () => {
    expect(explain('')).toEqual({ matches: [] });
    expect(explain('   \n ')).toEqual({ matches: [] });
    expect(explain('hello world')).toEqual({ matches: [] });
  });

  it('is pure: the same text gives the same answer, and answers are sorted and bounded', () => {
    const text = 'Sign-in information is incorrect';
    const a = explain(text);
    expect(explain(text)).toEqual(a);
    const confidences = a.matches.map((m) => m.confidence);
    expect([...confidences].sort((x, y) => y - x)).toEqual(confidences);
    for (const c of confidences) {
      expect(c).toBeGreaterThan(0);
      expect(c).toBeLessThanOrEqual(1);
    }
    expect(new Set(a.matches.map((m) => m.cause)).size).toBe(a.matches.length);
  });

  it('never echoes secrets from the pasted text', () => {
    const secrets = ['S3nd3r-Pa55!', 'Us3r-Pa55?', 'sess-abc123..', 'cl1ent-s3cret'];
    const text = `<request><control><senderid>AcmeSync</senderid><password>${secrets[0]}</password></control><operation><authentication><login><userid>u</userid><companyid>c</companyid><password>${secrets[1]}</password></login><sessionid>${secrets[2]}</sessionid></authentication></operation></request>
client_secret=${secrets[3]}
<response><control><status>success</status></control><operation><authentication><status>failure</status><userid>u</userid><companyid>c</companyid></authentication><errormessage><error><errorno>XL03000006</errorno><description2>Sign-in information is incorrect</description2></error></errormessage></operation></response>`;
    const result = explain(text);
    expect(result.matches[0]?.cause).toBe('user.invalid_credentials');
    const out = JSON.stringify(result);
    for (const s of secrets) expect(out).not.toContain(s);
  });

  it('handles a large log quickly', () => {
    const noise = '2025-07-14T02:11:09Z INFO sync page fetched rows=100 elapsed=231ms\n'.repeat(20_000);
    const text = `${noise}2025-07-14T02:11:10Z ERROR Response control status failure - GW-0010 API rate limit exceeded\n`;
    const started = performance.now();
    const { matches } = explain(text);
    const ms = performance.now() - started;
    expect(matches[0]?.cause).toBe('gateway.rate_limited');
    expect(ms).toBeLessThan(2000);
  });
});
