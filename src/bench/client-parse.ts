/**
 * Parses one 1000-record x 30-field readByQuery page with intacct-connect/xml and with the official
 * SDK's own response classes (xml2js), in the same process, alternating, and prints the ratio.
 */
import { createRequire } from 'node:module';
import { parseResponse } from '../client/xml/index.js';

const require = createRequire(import.meta.url);

interface SdkResult {
  data: unknown[];
}
type SdkOnlineResponse = new (body: string) => { getResult(i?: number): SdkResult };

function loadSdk(): SdkOnlineResponse | null {
  try {
    // The SDK exports its response class only from its dist folder; this is how its client builds one.
    const mod = require('@intacct/intacct-sdk/dist/Xml/OnlineResponse.js') as { default: SdkOnlineResponse };
    return mod.default;
  } catch {
    return null;
  }
}

export function readByQueryPage(records: number, fields: number): string {
  const names = Array.from({ length: fields }, (_, i) => (i === 0 ? 'RECORDNO' : `FIELD_${i}`));
  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<response><control><status>success</status><senderid>IntacctConnect</senderid>',
    '<controlid>bench</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control><operation>',
    '<authentication><status>success</status><userid>svc_sync</userid><companyid>acme-healthy</companyid>',
    '<locationid></locationid><sessiontimestamp>2026-01-01T00:00:00+00:00</sessiontimestamp>',
    '<sessiontimeout>2026-01-01T06:00:00+00:00</sessiontimeout></authentication>',
    '<result><status>success</status><function>readByQuery</function><controlid>f-1</controlid>',
    `<data listtype="vendor" count="${records}" totalcount="${records * 3}" numremaining="${records * 2}" resultId="7765623332WU1hh8CoA4QAAHxI9i8AAAAA5">`,
  ];
  for (let r = 0; r < records; r++) {
    let rec = '<vendor>';
    for (let f = 0; f < fields; f++) {
      const name = names[f] as string;
      let value: string;
      if (f === 0) value = String(r + 1);
      else if (f % 7 === 0) value = '';
      else if (f % 5 === 0) value = `${(r * 17.31 + f).toFixed(2)}`;
      else if (f % 11 === 0) value = `Smith &amp; Sons ${r}`;
      else value = `Value ${r}-${f} of vendor record`;
      rec += value === '' ? `<${name}></${name}>` : `<${name}>${value}</${name}>`;
    }
    parts.push(`${rec}</vendor>`);
  }
  parts.push('</data></result></operation></response>');
  return parts.join('');
}

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function main(): void {
  const body = readByQueryPage(1000, 30);
  const Sdk = loadSdk();
  const ours = () => {
    const r = parseResponse(body).results[0];
    if (r?.data.length !== 1000) throw new Error('intacct-connect parsed the wrong number of records');
  };
  console.log(`Page: 1000 records x 30 fields, ${(Buffer.byteLength(body) / 1024).toFixed(0)} KiB`);
  if (!Sdk) {
    console.log(
      'The official SDK (@intacct/intacct-sdk, a devDependency) is not installed; measuring ours only.',
    );
  }
  const sdk = () => {
    const r = Sdk ? new Sdk(body).getResult(0) : null;
    if (r && r.data.length !== 1000) throw new Error('SDK parsed the wrong number of records');
  };
  // Warm both up so the JIT has compiled each before anything is measured.
  for (let i = 0; i < 5; i++) {
    ours();
    if (Sdk) sdk();
  }
  const iterations = Number(process.env.BENCH_ITERATIONS ?? 40);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < iterations; i++) {
    // Alternate the order so neither side always runs on a fresh or a tired heap.
    if (i % 2 === 0) {
      a.push(time(ours));
      if (Sdk) b.push(time(sdk));
    } else {
      if (Sdk) b.push(time(sdk));
      a.push(time(ours));
    }
  }
  const ma = median(a);
  console.log(`intacct-connect/xml parseResponse: median ${ma.toFixed(2)} ms per page (${iterations} runs)`);
  if (Sdk) {
    const mb = median(b);
    console.log(
      `@intacct/intacct-sdk OnlineResponse: median ${mb.toFixed(2)} ms per page (${iterations} runs)`,
    );
    const ratio = mb / ma;
    console.log(
      `Ratio: intacct-connect/xml is ${ratio.toFixed(1)}x faster than the official SDK (target >= 3x)`,
    );
    if (ratio < 3) process.exitCode = 1;
  }
}

main();
