import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRequest,
  functions,
  IntacctAuthenticationError,
  IntacctClient,
  type IntacctClientOptions,
  IntacctControlError,
  IntacctGatewayError,
  IntacctResultError,
  parseResponse,
  postXml,
  recordText,
} from '../../src/client/xml/index.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { captureAsync } from './helpers.js';

// The client against the project's own emulator serving the demo world (README: fixed IDs).
let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.close();
});

const make = (companyId: string, over: Partial<IntacctClientOptions> = {}) =>
  new IntacctClient({
    senderId: 'IntacctConnect',
    senderPassword: 'sender-demo-secret',
    companyId,
    userId: 'svc_sync',
    userPassword: 'Connect-Demo-1',
    endpointUrl: `${emu.url}/ia/xml/xmlgw.phtml`,
    env: {},
    homeDir: '/nonexistent',
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
    timeoutMs: 10_000,
    ...over,
  });

describe('against the emulator (demo world)', () => {
  it('healthy company: session, paging through every vendor, query and read', async () => {
    const c = make('acme-healthy');
    const s = await c.getAPISession();
    expect(s.sessionId.length).toBeGreaterThan(4);
    expect(s.endpointUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ia\/xml\/xmlgw\.phtml$/);
    const ids = new Set<string>();
    let pages = 0;
    for await (const page of c.readAll({
      object: 'VENDOR',
      pageSize: 100,
      fields: ['RECORDNO', 'VENDORID'],
    })) {
      pages++;
      for (const r of page.data) ids.add(recordText(r, 'RECORDNO'));
    }
    expect(pages).toBe(3);
    expect(ids.size).toBe(250);
    const q = await c.query({ object: 'GLACCOUNT', select: ['RECORDNO'], pageSize: 10 });
    expect(q.data).toHaveLength(10);
    const keys = [...ids].slice(0, 120);
    const records = await c.read({ object: 'VENDOR', keys, fields: ['RECORDNO'] });
    expect(records.map((r) => recordText(r, 'RECORDNO')).sort()).toEqual([...keys].sort());
  });

  it('parses an emulator page exactly as the official SDK does', async () => {
    const body = buildRequest({
      control: { senderId: 'IntacctConnect', senderPassword: 'sender-demo-secret' },
      operation: {
        authentication: {
          login: { userId: 'svc_sync', companyId: 'acme-healthy', password: 'Connect-Demo-1' },
        },
        functions: [functions.readByQuery({ object: 'VENDOR', pageSize: 20 }, 'f-1')],
      },
    });
    const reply = await postXml(`${emu.url}/ia/xml/xmlgw.phtml`, body);
    const ours = parseResponse(reply.body).results[0]!;
    const require = createRequire(import.meta.url);
    const { default: OnlineResponse } = require('@intacct/intacct-sdk/dist/Xml/OnlineResponse.js') as {
      default: new (
        b: string,
      ) => {
        getResult(i: number): {
          data: unknown[];
          count: number;
          totalCount: number;
          numRemaining: number;
          resultId: string;
        };
      };
    };
    const sdk = new OnlineResponse(reply.body).getResult(0);
    expect(ours.data.length).toBe(20);
    expect(ours.data).toEqual(sdk.data);
    expect([ours.count, ours.totalCount, ours.numRemaining, ours.resultId]).toEqual([
      sdk.count,
      sdk.totalCount,
      sdk.numRemaining,
      sdk.resultId,
    ]);
  });

  it('wrong sender password is a control-layer error', async () => {
    const e = await captureAsync(() => make('acme-healthy', { senderPassword: 'wrong' }).getDimensions());
    expect(e).toBeInstanceOf(IntacctControlError);
    expect((e as IntacctControlError).errorno).toBe('XL03000006');
  });

  it('sender missing from Web Services authorizations is an authentication-layer error', async () => {
    const e = await captureAsync(() => make('sender-not-authorized').getDimensions());
    expect(e).toBeInstanceOf(IntacctAuthenticationError);
    expect((e as IntacctAuthenticationError).errors[0]?.description2).toMatch(/not authorized/);
  });

  it('wrong user password is an authentication-layer error', async () => {
    const e = await captureAsync(() => make('acme-healthy', { userPassword: 'nope' }).getDimensions());
    expect(e).toBeInstanceOf(IntacctAuthenticationError);
  });

  it('missing permissions surface as result errors naming the operation', async () => {
    const e = (await captureAsync(() =>
      make('missing-perms-role').readByQuery({ object: 'APBILL' }),
    )) as IntacctResultError;
    expect(e).toBeInstanceOf(IntacctResultError);
    expect(e.errors[0]?.description2).toMatch(/READ_BY_QUERY/);
  });

  it('a throttled company gives up with a rate-limit error after the retries', async () => {
    const c = make('rate-limited', { maxRetries: 2 });
    const e = (await captureAsync(() => c.getDimensions())) as IntacctGatewayError;
    expect(e).toBeInstanceOf(IntacctGatewayError);
    expect(e.kind).toBe('rate_limited');
    expect(c.roundTrips).toBe(3);
  });

  it('an outage is a retryable unavailable error', async () => {
    const c = make('outage', { maxRetries: 1 });
    const e = (await captureAsync(() => c.getDimensions())) as IntacctGatewayError;
    expect(e).toBeInstanceOf(IntacctGatewayError);
    expect(e.kind).toBe('unavailable');
    expect(c.roundTrips).toBe(2);
  });

  it('multi-entity company: switching entity opens a session there', async () => {
    const c = make('acme-multi');
    const s = await c.switchEntity('UK');
    expect(s.entityId).toBe('UK');
    const page = await c.readByQuery({ object: 'VENDOR', pageSize: 5 });
    expect(page.status).toBe('success');
  });
});
