// Fuzzes the built XML client (dist/client/xml): random and mangled gateway bodies must give a parse
// or a typed IntacctError, never anything else; escaped values must survive a build/parse round trip.
// Usage: node scripts/fuzz-xml.mjs [runs]   (default 10000 per property; build first: npm run build)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';

const dist = new URL('../dist/client/xml/index.js', import.meta.url);
if (!existsSync(dist)) {
  console.error('fuzz-xml: dist/client/xml/index.js is missing; run `npm run build` first');
  process.exit(2);
}
const { parseResponse, classifyReply, buildRequest, functions, scanXml, IntacctError, escapeXml } =
  await import(dist.href);

const runs = Number(process.argv[2] ?? 10_000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const fixturesDir = new URL('../test/client/fixtures/', import.meta.url);
const bodies = readdirSync(fixturesDir).map((f) => readFileSync(new URL(f, fixturesDir), 'utf8'));

let typed = 0;
let parsed = 0;
function outcome(fn) {
  try {
    fn();
    parsed++;
  } catch (err) {
    if (!(err instanceof IntacctError)) throw err;
    typed++;
  }
}

const xmlish = fc.stringMatching(/^[<>/!?\-[\]&#;a-zA-Z0-9"'= \n]{0,40}$/);
const tokens = fc.constantFrom(
  '<',
  '>',
  '</',
  '/>',
  '<!--',
  '-->',
  '<![CDATA[',
  ']]>',
  '<!DOCTYPE x>',
  '<!ENTITY e "x">',
  '&amp;',
  '&#x1F600;',
  '&#0;',
  '&#99999999;',
  '&',
  '"',
  "'",
  '<response>',
  '</response>',
  '<result>',
  '</result>',
  '<data count="x">',
  '<status>failure</status>',
  '\u0000',
  '\ufeff',
  '\ud800',
);
const edit = fc.record({ at: fc.nat(), del: fc.nat({ max: 40 }), ins: fc.oneof(xmlish, tokens) });
const statuses = fc.constantFrom(200, 200, 400, 401, 429, 500, 502, 503, 524);
const headers = fc.constantFrom(
  {},
  { 'content-type': 'text/xml' },
  { 'content-type': 'text/html' },
  { 'retry-after': 'x' },
);

function mangle(body, edits) {
  let out = body;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    out = out.slice(0, at) + e.ins + out.slice(at + e.del);
  }
  return out;
}

const properties = [
  [
    'mangled gateway responses',
    fc.property(
      fc.constantFrom(...bodies),
      fc.array(edit, { minLength: 1, maxLength: 6 }),
      statuses,
      headers,
      (body, edits, status, h) => {
        const m = mangle(body, edits);
        outcome(() => parseResponse(m));
        outcome(() => classifyReply({ status, headers: h, body: m }));
      },
    ),
  ],
  [
    'random strings',
    fc.property(
      fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 200 }), xmlish),
      statuses,
      (body, status) => {
        outcome(() => parseResponse(body));
        outcome(() => classifyReply({ status, headers: {}, body }));
      },
    ),
  ],
  [
    'escaped values round-trip through a response',
    fc.property(
      fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 8 }),
      (values) => {
        const recs = values.map((v, i) => `<rec><F${i}>${escapeXml(v)}</F${i}></rec>`).join('');
        const body = `<response><control><status>success</status></control><operation><authentication><status>success</status></authentication><result><status>success</status><function>read</function><controlid>c</controlid><data>${recs}</data></result></operation></response>`;
        const data = parseResponse(body).results[0].data;
        values.forEach((v, i) => {
          const expected = v
            .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
            .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
          const got = data[i][`F${i}`];
          if (got !== expected)
            throw new Error(`round trip changed ${JSON.stringify(v)} into ${JSON.stringify(got)}`);
        });
      },
    ),
  ],
  [
    'records of random shapes parse to exactly their fields',
    fc.property(
      fc.array(
        fc.array(
          fc.tuple(fc.stringMatching(/^[A-Za-z_"\][(){};`$\\.:-]{1,8}$/), fc.string({ maxLength: 12 })),
          { maxLength: 6 },
        ),
        { minLength: 1, maxLength: 6 },
      ),
      (records) => {
        const xml = records
          .map((fields) => `<r>${fields.map(([n, v]) => `<${n}>${escapeXml(v)}</${n}>`).join('')}</r>`)
          .join('');
        const body = `<response><control><status>success</status></control><operation><authentication><status>success</status></authentication><result><status>success</status><function>read</function><controlid>c</controlid><data>${xml}</data></result></operation></response>`;
        const data = parseResponse(body).results[0].data;
        records.forEach((fields, i) => {
          const expected = {};
          for (const [n, v] of fields) {
            const clean = v.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');
            if (Object.hasOwn(expected, n)) expected[n] = [].concat(expected[n], clean);
            else
              Object.defineProperty(expected, n, {
                value: clean,
                enumerable: true,
                writable: true,
                configurable: true,
              });
          }
          const got = data[i];
          const a = JSON.stringify(Object.entries(got).sort());
          const b = JSON.stringify(Object.entries(expected).sort());
          if (a !== b) {
            throw new Error(`record ${i}: got ${a}, expected ${b}`);
          }
        });
        if (globalThis.__pwned !== undefined) throw new Error('a field name ran as code');
      },
    ),
  ],
  [
    'hostile values never change the request structure',
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (v) => {
      const xml = buildRequest({
        control: { senderId: v, senderPassword: v, controlId: 'c' },
        operation: {
          authentication: { login: { userId: v, companyId: v, password: v } },
          functions: [functions.readByQuery({ object: v.trim() ? v : 'X', query: v }, 'f')],
        },
      });
      const root = scanXml(xml);
      const names = root.children.map((c) => c.name).join(',');
      const login = root.children[1].children[0].children[0].children.map((c) => c.name).join(',');
      if (names !== 'control,operation' || login !== 'userid,companyid,password') {
        throw new Error(`structure changed by ${JSON.stringify(v)}`);
      }
    }),
  ],
];

const started = Date.now();
let failed = false;
for (const [name, prop] of properties) {
  const t = Date.now();
  const result = fc.check(prop, { numRuns: runs, seed });
  if (result.failed) {
    failed = true;
    console.error(`FAIL ${name}: ${fc.defaultReportMessage(result)}`);
  } else {
    console.log(`ok   ${name}: ${runs} runs in ${Date.now() - t} ms`);
  }
}
console.log(
  `seed ${seed}; ${parsed} parses, ${typed} typed errors, 0 untyped; ${Date.now() - started} ms total`,
);
process.exit(failed ? 1 : 0);
