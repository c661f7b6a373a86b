import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defineWorld,
  loadDemoWorld,
  loadWorldFile,
  parseWorld,
  WorldError,
} from '../../src/emulator/index.js';
import { worldJsonSchemaText } from '../../src/emulator/world/json-schema.js';
import { packagePath } from '../../src/shared/paths.js';

const SCHEMA_FILE = packagePath('worlds', 'world.schema.json');

describe('world files', () => {
  it('worlds/world.schema.json is up to date (this test rewrites it and fails when it was stale)', () => {
    const fresh = worldJsonSchemaText();
    const current = existsSync(SCHEMA_FILE) ? readFileSync(SCHEMA_FILE, 'utf8') : '';
    // Compared as data: the committed file carries Biome's formatting, not JSON.stringify's.
    const same = current !== '' && JSON.stringify(JSON.parse(current)) === JSON.stringify(JSON.parse(fresh));
    if (!same) {
      writeFileSync(SCHEMA_FILE, fresh);
      spawnSync(process.execPath, [
        packagePath('node_modules', '@biomejs', 'biome', 'bin', 'biome'),
        'format',
        '--write',
        SCHEMA_FILE,
      ]);
    }
    expect(same, 'worlds/world.schema.json was stale and has been regenerated; commit it').toBe(true);
  });

  it('the JSON Schema describes every top-level key, the behaviour switches and accepts x- keys', () => {
    const schema = JSON.parse(worldJsonSchemaText()) as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
      patternProperties: Record<string, unknown>;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['senders', 'clients', 'companies', 'faults', 'latencyMs', 'behaviours']),
    );
    expect(Object.keys(schema.properties.behaviours!.properties!)).toEqual(
      expect.arrayContaining(['authOrder', 'unknownCompany', 'ipFilterEffect', 'unsubscribedModule']),
    );
    expect(schema.patternProperties).toHaveProperty('^x-');
  });

  it('loads the demo world with its fixed companies and credentials', () => {
    const world = loadDemoWorld();
    const ids = world.companies.map((c) => c.id);
    for (const id of [
      'acme-healthy',
      'acme-multi',
      'no-subscription',
      'sender-not-authorized',
      'trial-expired',
      'rate-limited',
      'outage',
    ]) {
      expect(ids).toContain(id);
    }
    expect(world.senders[0]).toMatchObject({ id: 'IntacctConnect', password: 'sender-demo-secret' });
    const healthy = world.companies.find((c) => c.id === 'acme-healthy')!;
    expect(healthy.users[0]).toMatchObject({ id: 'svc_sync', password: 'Connect-Demo-1' });
  });

  it('loads every world file shipped in worlds/', () => {
    const files = readdirSync(packagePath('worlds')).filter(
      (f) => /\.(ya?ml|json)$/.test(f) && f !== 'world.schema.json',
    );
    expect(files).toEqual(expect.arrayContaining(['demo.yaml', 'minimal.yaml']));
    for (const f of files) expect(() => loadWorldFile(packagePath('worlds', f))).not.toThrow();
  });

  it('fills the contract defaults', () => {
    const w = defineWorld({ companies: [{ id: 'c', users: [{ id: 'u', password: 'p' }] }] });
    const c = w.companies[0]!;
    expect(c).toMatchObject({
      kind: 'production',
      webServices: true,
      permissionModel: 'role',
      sessionHours: 12,
      ipAllowList: [],
    });
    expect(c.users[0]).toMatchObject({
      webServicesOnly: true,
      type: 'business',
      admin: 'off',
      status: 'active',
      entities: 'all',
    });
    expect(w.behaviours).toMatchObject({
      unknownCompany: 'gw0011_400',
      concurrencyLimit: 2,
      unsubscribedModule: 'object_not_found',
    });
  });

  it('refuses an invalid world with the file, the path inside it and what was expected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'world-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'companies:\n  - id: a\n  - id: b\n  - id: c\n    users:\n      - id: u\n        password: p\n        status: asleep\n',
    );
    let error: unknown;
    try {
      loadWorldFile(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorldError);
    const we = error as WorldError;
    expect(we.file).toBe(file);
    expect(we.path).toBe('companies[2].users[0].status');
    expect(we.message).toContain('"active" | "locked_out" | "inactive"');
    expect(() =>
      parseWorld('companies:\n  - id: a\n    users:\n      - { id: u, password: p, roles: [Nope] }\n'),
    ).toThrow(/companies\[0\]\.users\[0\]\.roles\[0\]/);
    expect(() => parseWorld('faults:\n  - effect: explode\n')).toThrow(/faults\[0\]\.effect/);
  });
});
