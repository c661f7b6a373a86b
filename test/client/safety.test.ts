import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyReply,
  IntacctError,
  parseResponse,
  XmlParseError,
  XmlSafetyError,
} from '../../src/client/xml/index.js';
import { capture, fixture } from './helpers.js';

describe('unsafe XML is refused', () => {
  it('external entity (XXE)', () => {
    const body = `<?xml version="1.0"?><!DOCTYPE response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><response><control><status>&xxe;</status></control></response>`;
    const e = capture(() => parseResponse(body)) as XmlSafetyError;
    expect(e).toBeInstanceOf(XmlSafetyError);
    expect(e.reason).toBe('doctype');
    expect(e.message).toMatch(/DOCTYPE.*XXE/);
    expect(e.message).not.toContain('root:');
  });

  it('billion laughs', () => {
    const lol = ['<!ENTITY lol "lol">'];
    for (let i = 1; i < 10; i++) lol.push(`<!ENTITY lol${i} "${`&lol${i - 1 || ''};`.repeat(10)}">`);
    const body = `<?xml version="1.0"?><!DOCTYPE lolz [${lol.join('')}]><response>&lol9;</response>`;
    const started = performance.now();
    const e = capture(() => parseResponse(body));
    expect(e).toBeInstanceOf(XmlSafetyError);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('a bare ENTITY declaration', () => {
    const e = capture(() => parseResponse('<response><!ENTITY x "y"></response>')) as XmlSafetyError;
    expect(e.reason).toBe('entity');
  });

  it('undeclared entities are never expanded', () => {
    const body = fixture('success-readbyquery.xml').replace('V-100', '&xxe;&nbsp;');
    const [r] = parseResponse(body).results;
    expect(r?.data[0]?.VENDORID).toBe('&xxe;&nbsp;');
  });

  it('bodies over the size limit', () => {
    const body = fixture('success-readbyquery.xml');
    const e = capture(() => parseResponse(body, { maxBytes: 200 })) as XmlSafetyError;
    expect(e).toBeInstanceOf(XmlSafetyError);
    expect(e.reason).toBe('size');
    expect(e.message).toContain('200-byte limit');
    // Multi-byte text counts in bytes, not characters.
    const wide = `<response><control><status>${'é'.repeat(150)}</status></control></response>`;
    expect(capture(() => parseResponse(wide, { maxBytes: 250 }))).toBeInstanceOf(XmlSafetyError);
    expect(parseResponse(body, { maxBytes: body.length * 2 }).results).toHaveLength(1);
    // classifyReply passes the limit through.
    expect(
      capture(() => classifyReply({ status: 200, headers: {}, body }, { maxBytes: 200 })),
    ).toBeInstanceOf(XmlSafetyError);
  });

  it('deep nesting', () => {
    const body = `<response>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</response>`;
    const e = capture(() => parseResponse(body)) as XmlSafetyError;
    expect(e.reason).toBe('depth');
  });

  it.each([
    ['truncated', fixture('success-readbyquery.xml').slice(0, 400)],
    ['mismatched tags', '<response><control></status></response>'],
    ['two roots', '<response><control><status>success</status></control></response><response/>'],
    ['text outside root', 'hello <response/>'],
    ['unquoted attribute', '<response a=b/>'],
    ['empty', ''],
  ])('malformed: %s gives XmlParseError', (_name, body) => {
    expect(capture(() => parseResponse(body))).toBeInstanceOf(XmlParseError);
  });
});

const GOOD = [
  'success-readbyquery.xml',
  'success-getapisession.xml',
  'auth-sender-not-authorized.xml',
  'control-schema-multi.xml',
  'result-stacked-errors.xml',
  'gateway-gw0011-400.xml',
].map(fixture);

function mangle(body: string, edits: Array<{ at: number; del: number; ins: string }>): string {
  let out = body;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    out = out.slice(0, at) + e.ins + out.slice(at + e.del);
  }
  return out;
}

const xmlish = fc.stringMatching(/^[<>/!?\-[\]&#;a-zA-Z0-9"'= \n]{0,30}$/);
const statuses = fc.constantFrom(200, 200, 400, 401, 429, 500, 502, 503, 524);

/** The property: a body gives a parse or a typed error, never anything else. */
function outcome(fn: () => unknown): 'ok' | 'typed' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof IntacctError) return 'typed';
    throw err;
  }
}

describe('property: random and mangled bodies never crash', () => {
  it('mangled real responses (1,000 runs)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...GOOD),
        fc.array(fc.record({ at: fc.nat(), del: fc.nat({ max: 20 }), ins: xmlish }), {
          minLength: 1,
          maxLength: 4,
        }),
        statuses,
        (body, edits, status) => {
          const mangled = mangle(body, edits);
          outcome(() => parseResponse(mangled));
          outcome(() => classifyReply({ status, headers: { 'content-type': 'text/xml' }, body: mangled }));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('random strings and random XML-ish text (1,000 runs)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }), xmlish),
        statuses,
        (body, status) => {
          outcome(() => parseResponse(body));
          outcome(() => classifyReply({ status, headers: {}, body }));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('truncation at every length of a real response always gives a typed error', () => {
    const body = fixture('success-getapisession.xml').trimEnd();
    for (let n = 0; n < body.length; n++) {
      expect(outcome(() => parseResponse(body.slice(0, n)))).toBe('typed');
    }
    expect(outcome(() => parseResponse(body))).toBe('ok');
  });
});
