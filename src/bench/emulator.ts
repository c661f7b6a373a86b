/**
 * Emulator throughput and memory. The emulator runs in a child process; this process generates load
 * over loopback with keep-alive connections and a fixed number of requests in flight.
 *   - getAPISession requests/s (target >= 2,000 on 2 cores)
 *   - readByQuery pages of 100 records/s (target >= 200)
 *   - the emulator's RSS and heap before and after 100,000 mixed requests (target: flat)
 * `node dist/bench/emulator.js` runs it; BENCH_REQUESTS scales the memory run.
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';

const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 32);
const MEMORY_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100_000);

interface Memory {
  rss: number;
  heapUsed: number;
}

const SENDER = { id: 'BenchSender', password: 'bench-sender-pw' };
const USER = { id: 'bench_user', password: 'bench-user-pw' };

async function child(): Promise<void> {
  const { defineWorld } = await import('../emulator/world/load.js');
  const { startEmulator } = await import('../emulator/server.js');
  const world = defineWorld({
    senders: [SENDER],
    companies: [
      {
        id: 'bench',
        senderAuthorizations: [{ sender: SENDER.id }],
        roles: [{ name: 'Read', permissions: { VENDOR: ['list', 'view'] } }],
        users: [{ ...USER, roles: ['Read'] }],
        records: { VENDOR: 1000 },
      },
    ],
    // The benchmark measures the gateway, not the modelled per-company concurrency allowance.
    behaviours: { concurrencyLimit: 10_000, concurrencyQueueMs: 0 },
  });
  const em = await startEmulator({ world, port: 0 });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (msg: string) => {
    if (msg === 'memory') {
      gc?.();
      gc?.();
      const m = process.memoryUsage();
      process.send?.({ memory: { rss: m.rss, heapUsed: m.heapUsed } });
    } else if (msg === 'stop') {
      void em.close().then(() => process.exit(0));
    }
  });
  process.send?.({ port: em.port });
}

function body(inner: string, auth: string): string {
  return `<?xml version="1.0" encoding="utf-8" ?><request><control><senderid>${SENDER.id}</senderid><password>${SENDER.password}</password><controlid>bench</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion><includewhitespace>false</includewhitespace></control><operation transaction="false"><authentication>${auth}</authentication><content><function controlid="f1">${inner}</function></content></operation></request>`;
}

const LOGIN = `<login><userid>${USER.id}</userid><companyid>bench</companyid><password>${USER.password}</password></login>`;
const SESSION_BODY = body('<getAPISession/>', LOGIN);
const pageBody = (auth: string) =>
  body(
    '<readByQuery><object>VENDOR</object><query></query><fields>*</fields><pagesize>100</pagesize><returnFormat>xml</returnFormat></readByQuery>',
    auth,
  );

function post(agent: Agent, port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/ia/xml/xmlgw.phtml',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200 || !text.includes('<result><status>success</status>')) {
            reject(new Error(`unexpected answer ${res.statusCode}: ${text.slice(0, 300)}`));
          } else resolve(text);
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Sends `total` requests keeping IN_FLIGHT outstanding; returns requests per second. */
async function load(agent: Agent, port: number, total: number, next: (i: number) => string): Promise<number> {
  let sent = 0;
  const started = performance.now();
  const worker = async () => {
    while (sent < total) {
      const i = sent++;
      await post(agent, port, next(i));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return total / ((performance.now() - started) / 1000);
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const proc = fork(fileURLToPath(import.meta.url), ['--child'], {
    execArgv: ['--expose-gc'],
    stdio: 'inherit',
  });
  const messages: Array<(m: { port?: number; memory?: Memory }) => void> = [];
  proc.on('message', (m: { port?: number; memory?: Memory }) => messages.shift()?.(m));
  const nextMessage = () =>
    new Promise<{ port?: number; memory?: Memory }>((resolve) => messages.push(resolve));
  const ready = nextMessage();
  const { port } = await ready;
  if (!port) throw new Error('emulator child did not start');
  const memory = async () => {
    const m = nextMessage();
    proc.send('memory');
    return (await m).memory!;
  };
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

  try {
    // Warm up the JIT and the record cache.
    await load(agent, port, 2_000, (i) => (i % 2 ? SESSION_BODY : pageBody(LOGIN)));
    const sessionsPerSecond = await load(agent, port, 20_000, () => SESSION_BODY);
    const sessionText = await post(agent, port, SESSION_BODY);
    const sessionId = /<sessionid>([^<]+)<\/sessionid>/.exec(sessionText)![1]!;
    const sessionAuth = `<sessionid>${sessionId}</sessionid>`;
    const pagesPerSecond = await load(agent, port, 5_000, () => pageBody(sessionAuth));
    const pagesLoginPerSecond = await load(agent, port, 3_000, () => pageBody(LOGIN));

    const before = await memory();
    const mixedPerSecond = await load(agent, port, MEMORY_REQUESTS, (i) =>
      i % 4 === 0 ? SESSION_BODY : pageBody(sessionAuth),
    );
    const after = await memory();

    console.log(`In flight: ${IN_FLIGHT}, keep-alive, emulator in a child process on 127.0.0.1`);
    console.log(
      `getAPISession:                     ${sessionsPerSecond.toFixed(0).padStart(7)} req/s   (target >= 2,000; ${(sessionsPerSecond / 2000).toFixed(2)}x)`,
    );
    console.log(
      `readByQuery, 100 records (session): ${pagesPerSecond.toFixed(0).padStart(7)} pages/s (target >= 200; ${(pagesPerSecond / 200).toFixed(2)}x)`,
    );
    console.log(
      `readByQuery, 100 records (login):   ${pagesLoginPerSecond.toFixed(0).padStart(7)} pages/s (login each time; ${(pagesLoginPerSecond / pagesPerSecond).toFixed(2)}x the session figure)`,
    );
    console.log(
      `Mixed run (${MEMORY_REQUESTS.toLocaleString('en-US')} requests, 1 in 4 getAPISession): ${mixedPerSecond.toFixed(0)} req/s`,
    );
    console.log(`Emulator memory before: RSS ${mb(before.rss)}, heap ${mb(before.heapUsed)}`);
    console.log(`Emulator memory after:  RSS ${mb(after.rss)}, heap ${mb(after.heapUsed)}`);
    console.log(
      `Growth: RSS ${mb(after.rss - before.rss)} (${(after.rss / before.rss).toFixed(2)}x), heap ${mb(after.heapUsed - before.heapUsed)} (${(after.heapUsed / before.heapUsed).toFixed(2)}x)`,
    );
    const ok = sessionsPerSecond >= 2000 && pagesPerSecond >= 200;
    console.log(ok ? 'Targets met.' : 'TARGETS MISSED.');
  } finally {
    agent.destroy();
    proc.send('stop');
  }
}

if (process.argv.includes('--child')) void child();
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
