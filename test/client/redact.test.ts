import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRequest, functions, IntacctClient, redactText, redactXml } from '../../src/client/xml/index.js';
import { LoopbackGateway, okEnvelope, okResult, xmlEscape } from './gateway.js';
import { captureAsync } from './helpers.js';

describe('redactXml / redactText', () => {
  it('masks secret elements case-insensitively, across lines and CDATA, and keeps the rest', () => {
    const xml =
      '<control><senderid>S</senderid><PassWord>a\nb</PassWord></control><sessionid><![CDATA[x<y]]></sessionid>' +
      '<taxid>12-3</taxid><ssn>1</ssn><cardnum>4111</cardnum><accountnumber>9</accountnumber>' +
      '<achaccountnumber>8</achaccountnumber><wireaccountnumber>7</wireaccountnumber><password></password>';
    const out = redactXml(xml);
    expect(out).toBe(
      '<control><senderid>S</senderid><PassWord>[REDACTED]</PassWord></control><sessionid>[REDACTED]</sessionid>' +
        '<taxid>[REDACTED]</taxid><ssn>[REDACTED]</ssn><cardnum>[REDACTED]</cardnum><accountnumber>[REDACTED]</accountnumber>' +
        '<achaccountnumber>[REDACTED]</achaccountnumber><wireaccountnumber>[REDACTED]</wireaccountnumber><password></password>',
    );
  });

  it('masks a truncated secret element', () => {
    expect(redactXml('<login><password>hunter2')).toBe('<login><password>[REDACTED]');
  });

  it('masks planted values raw, XML-escaped, JSON-escaped, URL-encoded and re-wrapped', () => {
    const secret = 'p&ss<"w\'rd>\nline two';
    const forms = [
      secret,
      xmlEscape(secret),
      JSON.stringify(secret),
      encodeURIComponent(secret),
      secret.replace('\n', '\r\n'),
      secret.replace('\n', '\n      '),
      'p&amp;ss&lt;&quot;w&#039;rd&gt;\nline two',
    ];
    for (const form of forms) {
      const out = redactText(`before ${form} after`, [secret]);
      expect(out, form).toContain('[REDACTED]');
      expect(out, form).not.toContain('line two');
    }
  });

  it('masks secret JSON keys', () => {
    expect(redactXml('{"password":"x","sessionId":"y","user":"u"}')).toBe(
      '{"password":"[REDACTED]","sessionId":"[REDACTED]","user":"u"}',
    );
  });

  it('a built request keeps no secret after redaction', () => {
    const xml = buildRequest({
      control: { senderId: 'S', senderPassword: 'sender <pw>' },
      operation: {
        authentication: { login: { userId: 'u', companyId: 'c', password: 'user&pw' } },
        functions: [functions.getDimensions()],
      },
    });
    const out = redactXml(xml);
    expect(out).not.toContain('pw');
    expect(out).toContain('<senderid>S</senderid>');
  });
});

describe('client logging', () => {
  const gateways: LoopbackGateway[] = [];
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.stop()));
  });

  it('no secret appears in any log line (planted secrets, multi-line, escaped)', async () => {
    const senderPassword = 'S3nder\n"pass"<&>\nword';
    const userPassword = "Us3r'pass\r\nsecond line";
    const sessionId = 'SeSsIoN-ZZ9..';
    let g!: LoopbackGateway;
    g = await new LoopbackGateway((req) => {
      const fn = req.functions[0]!;
      if (fn.name === 'getAPISession') {
        return {
          body: okEnvelope(
            okResult(
              fn,
              `<api><sessionid>${sessionId}</sessionid><endpoint>${g.url}</endpoint><locationid></locationid></api>`,
            ),
          ),
        };
      }
      if (fn.name === 'readByQuery') {
        // An error text that echoes the session, as a careless gateway might.
        return {
          body: okEnvelope(
            `<result><status>failure</status><function>readByQuery</function><controlid>${fn.controlId}</controlid><errormessage><error><errorno>X</errorno><description2>bad session ${sessionId}</description2></error></errormessage></result>`,
          ),
        };
      }
      return { body: okEnvelope(okResult(fn)) };
    }).start();
    gateways.push(g);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const c = new IntacctClient({
      senderId: 'IntacctConnect',
      senderPassword,
      companyId: 'log-co',
      userId: 'svc_sync',
      userPassword,
      endpointUrl: g.url,
      env: {},
      homeDir: '/nonexistent',
      logger,
      retry: { baseDelayMs: 1 },
    });
    await c.getAPISession();
    await captureAsync(() => c.readByQuery({ object: 'VENDOR' }));
    await c.getDimensions();
    expect(lines.length).toBeGreaterThanOrEqual(6);
    const needles = [senderPassword, userPassword, sessionId, 'S3nder', 'second line', 'Us3r', 'SeSsIoN'];
    for (const secret of [senderPassword, userPassword]) {
      needles.push(JSON.stringify(secret).slice(1, -1), xmlEscape(secret));
    }
    for (const line of lines) {
      for (const needle of needles)
        expect(line, `log line leaks ${JSON.stringify(needle)}`).not.toContain(needle);
    }
    // The logs are still useful: they name the functions and statuses.
    expect(lines.some((l) => l.includes('getDimensions'))).toBe(true);
    expect(lines.some((l) => l.includes('[REDACTED]'))).toBe(true);
  });
});
