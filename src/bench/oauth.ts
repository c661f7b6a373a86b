/**
 * OAuth benchmark, against the emulator with 150 ms added to every request (a realistic round trip):
 * 1. 50 callers needing a fresh token at once: the single-flight OAuthConnection vs each caller
 *    refreshing on its own (token requests sent, callers left with a dead token, wall time).
 * 2. A healthy OAuth diagnosis: the doctor's parallel probes vs the same probes one after another.
 * 3. Token endpoint cost without added latency (RS256 signing included): client-credentials grants/s.
 */
import { RestClient } from '../client/rest/client.js';
import { IntacctOAuthClient, OAuthConnection } from '../client/rest/oauth.js';
import { diagnoseOAuth } from '../doctor/oauth/index.js';
import { loadDemoWorld, startEmulator } from '../emulator/index.js';
import { MODULES, objectInfo } from '../shared/objects.js';
import { DEFAULT_REQUIREMENTS } from '../shared/report.js';

const LATENCY_MS = 150;
const CALLERS = 50;
const CLIENT = { clientId: '4f1c2a9d8e7b6a5c4d3e.app.sage.com', clientSecret: 'client-demo-secret' };
const SUBJECT = { userId: 'svc_sync', companyId: 'acme-healthy' };

async function stats(url: string): Promise<{ oauth: number; rest: number; total: number }> {
  return (
    (await (await fetch(`${url}/_emulator/stats`)).json()) as {
      requests: { oauth: number; rest: number; total: number };
    }
  ).requests;
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

async function main(): Promise<void> {
  const world = loadDemoWorld();
  world.latencyMs = LATENCY_MS;
  const emu = await startEmulator({ world, port: 0 });
  const apiUrl = `${emu.url}/ia/api/v1`;
  try {
    const client = new IntacctOAuthClient({ ...CLIENT, apiUrl });

    // 1. Refresh under concurrency.
    const base = await client.clientCredentials(SUBJECT);
    let before = await stats(emu.url);
    let t0 = performance.now();
    const connection = new OAuthConnection(client, { ...base, expiresAt: Date.now() });
    const shared = await Promise.all(Array.from({ length: CALLERS }, () => connection.accessToken()));
    const singleMs = performance.now() - t0;
    const singleRequests = (await stats(emu.url)).oauth - before.oauth;
    const singleDistinct = new Set(shared).size;

    const base2 = await client.clientCredentials(SUBJECT);
    before = await stats(emu.url);
    t0 = performance.now();
    const naive = await Promise.allSettled(
      Array.from({ length: CALLERS }, () => client.refresh(base2.refreshToken!)),
    );
    const naiveMs = performance.now() - t0;
    const naiveRequests = (await stats(emu.url)).oauth - before.oauth;
    const naiveFailed = naive.filter((r) => r.status === 'rejected').length;

    console.log(`1. ${CALLERS} callers needing a fresh token at once (${LATENCY_MS} ms per request)`);
    console.log(
      `   single-flight: ${singleRequests} token request(s), ${singleDistinct} token shared by all, 0 failed, ${fmt(singleMs)}`,
    );
    console.log(
      `   naive:         ${naiveRequests} token requests, ${naiveFailed} callers got invalid_grant (rotated token), ${fmt(naiveMs)}`,
    );
    console.log(
      `   ratio: ${(naiveRequests / Math.max(1, singleRequests)).toFixed(0)}x fewer token requests, ${naiveFailed} failures avoided`,
    );

    // 2. A healthy diagnosis.
    const credentials = { ...CLIENT, ...SUBJECT, apiUrl };
    const runs = 3;
    let doctorMs = 0;
    let doctorTrips = 0;
    for (let i = 0; i < runs; i++) {
      t0 = performance.now();
      const report = await diagnoseOAuth({ credentials });
      doctorMs += performance.now() - t0;
      doctorTrips = report.roundTrips;
      if (!report.ok) throw new Error('healthy diagnosis was not ok');
    }
    let seqMs = 0;
    let seqTrips = 0;
    for (let i = 0; i < runs; i++) {
      before = await stats(emu.url);
      t0 = performance.now();
      const tokens = await client.clientCredentials(SUBJECT);
      const rest = new RestClient({ apiUrl, auth: tokens.accessToken });
      for (const req of DEFAULT_REQUIREMENTS) {
        const info = objectInfo(req.object)!;
        await rest.queryPage({
          object: `${MODULES[info.module].restModule}/${info.restObject}`,
          fields: ['key'],
          size: 1,
        });
      }
      seqMs += performance.now() - t0;
      seqTrips = (await stats(emu.url)).total - before.total;
    }
    console.log(
      `2. healthy OAuth diagnosis (${DEFAULT_REQUIREMENTS.length} required objects), mean of ${runs}`,
    );
    console.log(`   doctor (parallel probes): ${doctorTrips} round trips, ${fmt(doctorMs / runs)}`);
    console.log(`   sequential probes:        ${seqTrips} round trips, ${fmt(seqMs / runs)}`);
    console.log(`   ratio: ${(seqMs / doctorMs).toFixed(1)}x faster with the same round trips`);
  } finally {
    await emu.close();
  }

  // 3. Token endpoint throughput without added latency.
  const fast = await startEmulator({ world: loadDemoWorld(), port: 0 });
  try {
    const client = new IntacctOAuthClient({ ...CLIENT, apiUrl: `${fast.url}/ia/api/v1` });
    await client.clientCredentials(SUBJECT);
    const n = 200;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await client.clientCredentials(SUBJECT);
    const ms = performance.now() - t0;
    console.log(
      `3. token endpoint, no added latency: ${n} client-credentials grants in ${fmt(ms)} (${((n / ms) * 1000).toFixed(0)}/s, ${(ms / n).toFixed(2)} ms each, RS256 signing included)`,
    );
  } finally {
    await fast.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
