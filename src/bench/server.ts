// Health re-checks per minute on one node against the emulator with 100 ms added to every response,
// across many companies, while never exceeding 2 concurrent requests per company.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diagnose } from '../doctor/index.js';
import { loadDemoWorld, startEmulator, type World } from '../emulator/index.js';
import { generateSecretKey, Keyring, parseSecretKey, SecretValues, startServer } from '../server/index.js';
import { createLogger } from '../server/log.js';
import type { Diagnose } from '../server/service.js';

const LATENCY_MS = 100;
const MEASURE_MS = Number(process.env.BENCH_SERVER_SECONDS ?? 20) * 1000;
const TARGET_PER_MIN = 1000;

function benchWorld(companies: number): World {
  const world = loadDemoWorld();
  const template = world.companies.find((c) => c.id === 'acme-healthy')!;
  for (let i = 0; i < companies; i++)
    world.companies.push({ ...structuredClone(template), id: `bench-${i}` });
  world.latencyMs = LATENCY_MS;
  world.faults = [];
  return world;
}

interface Result {
  companies: number;
  connections: number;
  checks: number;
  perMinute: number;
  maxRequestsInFlightPerCompany: number;
  maxDiagnosesPerCompany: number;
  roundTripsPerCheck: number;
  meanCheckMs: number;
}

async function run(
  companies: number,
  connectionsPerCompany: number,
  nodeConcurrency: number,
): Promise<Result> {
  const emu = await startEmulator({ world: benchWorld(companies), host: '127.0.0.1', port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'ic-bench-'));
  const inFlight = new Map<string, number>();
  let maxInFlight = 0;
  let requests = 0;
  let checkMs = 0;
  // Counts concurrent HTTP requests per company on the wire, as the emulator receives them.
  const measured: Diagnose = (options) => {
    const company = options.credentials.companyId!.toLowerCase();
    const counting: typeof fetch = async (input, init) => {
      const n = (inFlight.get(company) ?? 0) + 1;
      inFlight.set(company, n);
      if (n > maxInFlight) maxInFlight = n;
      requests++;
      try {
        return await fetch(input, init);
      } finally {
        inFlight.set(company, (inFlight.get(company) ?? 1) - 1);
      }
    };
    const t = performance.now();
    return diagnose({ ...options, fetch: counting }).finally(() => {
      checkMs += performance.now() - t;
    });
  };
  const secrets = new SecretValues();
  const server = await startServer({
    database: `sqlite:${join(dir, 'bench.db')}`,
    port: 0,
    keyring: new Keyring(parseSecretKey(generateSecretKey(), 'bench')),
    diagnose: measured,
    secrets,
    logger: createLogger({ secrets, level: 'error' }),
    webDir: '/nonexistent',
    // Every connection is due again as soon as it was checked: the scheduler runs flat out.
    health: { enabled: false },
    config: {
      apiKey: 'bench',
      senderId: 'IntacctConnect',
      senderPassword: 'sender-demo-secret',
      endpointUrl: `${emu.url}/ia/xml/xmlgw.phtml`,
      checkIntervalMs: 1,
      credentialLimit: { max: 1_000_000, windowMs: 60_000 },
    },
  });
  try {
    const creates: Array<Promise<unknown>> = [];
    for (let c = 0; c < companies; c++) {
      for (let k = 0; k < connectionsPerCompany; k++) {
        creates.push(
          server.service.create(
            { companyId: `bench-${c}`, userId: 'svc_sync', userPassword: 'Connect-Demo-1' },
            'bench',
          ),
        );
      }
    }
    await Promise.all(creates);
    maxInFlight = 0;
    requests = 0;
    checkMs = 0;
    server.service.limiter.peak.clear();
    const { LocalHealthRunner } = await import('../server/health.js');
    let checks = 0;
    const runner = new LocalHealthRunner({
      storage: server.storage,
      logger: createLogger({ secrets, level: 'error' }),
      pollMs: 20,
      concurrency: nodeConcurrency,
      runCheck: async (id) => {
        await server.service.check(id, 'scheduler', 'scheduled');
        checks++;
      },
    });
    const start = performance.now();
    await runner.start();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const counted = checks;
    const elapsed = performance.now() - start;
    await runner.stop();
    const peaks = [...server.service.limiter.peak.values()];
    return {
      companies,
      connections: companies * connectionsPerCompany,
      checks: counted,
      perMinute: Math.round((counted / elapsed) * 60_000),
      maxRequestsInFlightPerCompany: maxInFlight,
      maxDiagnosesPerCompany: Math.max(0, ...peaks),
      roundTripsPerCheck: checks ? requests / checks : 0,
      meanCheckMs: checks ? checkMs / checks : 0,
    };
  } finally {
    await server.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function line(label: string, r: Result): void {
  console.log(
    `${label.padEnd(34)} ${String(r.perMinute).padStart(6)} checks/min  (${r.checks} in ${MEASURE_MS / 1000} s; ` +
      `${r.connections} connections, ${r.companies} companies; ${r.roundTripsPerCheck.toFixed(1)} requests/check, ` +
      `mean ${r.meanCheckMs.toFixed(0)} ms/check; max in flight per company: ${r.maxRequestsInFlightPerCompany} requests, ` +
      `${r.maxDiagnosesPerCompany} diagnoses)`,
  );
}

console.log(
  `Emulator latency ${LATENCY_MS} ms per response; target ≥ ${TARGET_PER_MIN} re-checks/min, ≤ 2 concurrent requests per company.`,
);
const many = await run(40, 5, 64);
line('40 companies × 5 connections', many);
const few = await run(2, 100, 64);
line('2 companies × 100 connections', few);
console.log(
  `Ratio to target (40 companies): ${(many.perMinute / TARGET_PER_MIN).toFixed(2)}×; ` +
    `many companies vs 2 companies: ${(many.perMinute / Math.max(1, few.perMinute)).toFixed(1)}× ` +
    '(the per-company limit, not the node, caps a single company).',
);
const ok =
  many.perMinute >= TARGET_PER_MIN &&
  many.maxRequestsInFlightPerCompany <= 2 &&
  few.maxRequestsInFlightPerCompany <= 2;
console.log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);
