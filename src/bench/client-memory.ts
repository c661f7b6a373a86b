/**
 * Iterates 100,000 records (1,000-record x 30-field pages, readByQuery then readMore) through
 * IntacctClient from a loopback gateway in a child process, and reports heap growth. Target < 50 MB:
 * pages are dropped as soon as they have been consumed.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { IntacctClient, recordText } from '../client/xml/index.js';

const TOTAL = Number(process.env.BENCH_RECORDS ?? 100_000);
const PAGE = 1000;
const FIELDS = 30;

// The gateway runs in its own process so its buffers never count against the client's heap.
const SERVER = `
const http = require('node:http');
const TOTAL = ${TOTAL}, PAGE = ${PAGE}, FIELDS = ${FIELDS};
const cursors = new Map(); let next = 0;
let REST = '';
for (let f = 1; f < FIELDS - 1; f++) REST += '<FIELD_' + f + '>Value ' + f + (f % 4 === 0 ? ' &amp; more' : ' of the record') + '</FIELD_' + f + '>';
REST += '<NOTE>';
function page(fnName, controlId, offset) {
  const end = Math.min(TOTAL, offset + PAGE), remaining = TOTAL - end;
  const id = remaining > 0 ? 'R' + (++next) : '';
  if (id) cursors.set(id, end);
  const parts = [];
  for (let r = offset; r < end; r++) parts.push('<vendor><RECORDNO>' + (r + 1) + '</RECORDNO>' + REST + (r % 97) + '</NOTE></vendor>');
  const data = parts.join('');
  return '<?xml version="1.0" encoding="UTF-8"?><response><control><status>success</status><senderid>S</senderid><controlid>c</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control><operation><authentication><status>success</status><userid>u</userid><companyid>c</companyid><locationid></locationid><sessiontimestamp>2099-01-01T00:00:00Z</sessiontimestamp><sessiontimeout>2099-01-01T06:00:00Z</sessiontimeout></authentication><result><status>success</status><function>' + fnName + '</function><controlid>' + controlId + '</controlid><data listtype="vendor" count="' + (end - offset) + '" totalcount="' + TOTAL + '" numremaining="' + remaining + '" resultId="' + id + '">' + data + '</data></result></operation></response>';
}
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const controlId = (/controlid="([^"]*)"/.exec(body) || [])[1] || '';
    const more = /<resultId>([^<]*)<\\/resultId>/.exec(body);
    const out = more ? page('readMore', controlId, cursors.get(more[1]) ?? TOTAL) : page('readByQuery', controlId, 0);
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(out);
  });
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });
`;

function heapMb(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(String(chunk).trim());
    const client = new IntacctClient({
      senderId: 'bench',
      senderPassword: 'bench-sender-pw',
      companyId: 'bench-co',
      userId: 'bench',
      userPassword: 'bench-user-pw',
      endpointUrl: `http://127.0.0.1:${port}/ia/xml/xmlgw.phtml`,
      env: {},
      homeDir: '/nonexistent',
    });
    if (!globalThis.gc) console.log('(run with --expose-gc for exact figures; npm run bench does)');
    const before = heapMb();
    let peak = before;
    let count = 0;
    let checksum = 0;
    const started = performance.now();
    for await (const record of client.readAllRecords({ object: 'VENDOR', pageSize: PAGE })) {
      count++;
      checksum += recordText(record, 'RECORDNO').length;
      if (count % (PAGE * 10) === 0) peak = Math.max(peak, heapMb());
    }
    const ms = performance.now() - started;
    const after = heapMb();
    peak = Math.max(peak, after);
    const growth = peak - before;
    console.log(
      `Records iterated: ${count} (${count / PAGE} pages of ${PAGE} x ${FIELDS} fields; checksum ${checksum})`,
    );
    console.log(
      `Time: ${(ms / 1000).toFixed(2)} s, ${Math.round(count / (ms / 1000))} records/s, ${client.roundTrips} round trips`,
    );
    console.log(
      `Heap: ${before.toFixed(1)} MB before, peak ${peak.toFixed(1)} MB, ${after.toFixed(1)} MB after; growth ${growth.toFixed(1)} MB (target < 50 MB)`,
    );
    if (count !== TOTAL) {
      console.log(`Expected ${TOTAL} records`);
      process.exitCode = 1;
    } else if (growth >= 50) process.exitCode = 1;
  } finally {
    child.kill();
  }
}

await main();
