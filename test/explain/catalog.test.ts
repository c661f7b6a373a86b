import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CatalogError,
  causeFix,
  getArticle,
  getCause,
  getGuide,
  listArticles,
  listCauses,
  listGuides,
  loadCatalog,
  searchArticles,
} from '../../src/doctor/catalog.js';
import { explain } from '../../src/doctor/explain/index.js';
import { CAUSE_IDS } from '../../src/shared/causes.js';
import { packagePath } from '../../src/shared/paths.js';

const REQUIRED_GUIDES = [
  'prerequisites',
  'web-services-subscription',
  'web-services-authorization',
  'web-services-user',
  'admin-role',
  'permissions',
  'checking-permissions',
  'entities',
  'authorized-client-applications',
  'error-unable-to-connect',
  'error-missing-permissions',
];

describe('cause catalog', () => {
  it('has exactly one valid file per cause id, and no other', () => {
    const files = readdirSync(packagePath('catalog', 'causes')).filter((f) => f.endsWith('.yaml'));
    expect(files.map((f) => f.replace(/\.yaml$/, '')).sort()).toEqual([...CAUSE_IDS].sort());
    expect(
      listCauses()
        .map((c) => c.id)
        .sort(),
    ).toEqual([...CAUSE_IDS].sort());
  });

  it('links only to existing causes, and never to itself', () => {
    for (const cause of listCauses()) {
      for (const id of cause.related) {
        expect(CAUSE_IDS, `${cause.id} → ${id}`).toContain(id);
        expect(id).not.toBe(cause.id);
      }
    }
    for (const guide of listGuides()) {
      for (const id of guide.related) expect(CAUSE_IDS, `${guide.id} → ${id}`).toContain(id);
    }
  });

  it('spells menu paths out in full, never as the reference aliases', () => {
    const aliases = /\b(?:SUBS|SEC|WSA|ACA|IPF|WSU|UPERM|PTYPE|ENT|MEC|TOP|CONSOLE)\b/;
    for (const file of [
      ...readdirSync(packagePath('catalog', 'causes')).map((f) => packagePath('catalog', 'causes', f)),
      ...readdirSync(packagePath('catalog', 'guides')).map((f) => packagePath('catalog', 'guides', f)),
    ]) {
      const prose = readFileSync(file, 'utf8').split(/\nsignatures:|\nexamples:/)[0]!;
      expect(aliases.exec(prose)?.[0], file).toBeUndefined();
    }
  });

  it('explains every article example as that article’s cause, first', () => {
    const misses: string[] = [];
    for (const cause of listCauses()) {
      for (const example of cause.examples) {
        const top = explain(example).matches[0];
        if (top?.cause !== cause.id)
          misses.push(`${cause.id} ← ${top?.cause ?? 'none'}: ${example.slice(0, 90)}`);
      }
    }
    expect(misses).toEqual([]);
  });

  it('has every setup guide the help page needs', () => {
    for (const id of REQUIRED_GUIDES) expect(getGuide(id), id).toBeDefined();
    expect(listGuides().length).toBeGreaterThanOrEqual(REQUIRED_GUIDES.length);
  });

  it('finds articles by id and by keywords', () => {
    expect(getArticle('sender.not_authorized')?.kind).toBe('cause');
    expect(getArticle('web-services-user')?.kind).toBe('guide');
    expect(getArticle('nope')).toBeUndefined();
    expect(getCause('oauth.partner_user_not_found').inferred).toBe(true);
    expect(searchArticles('readpartneruserinfo')[0]?.id).toBe('oauth.partner_user_not_found');
    expect(searchArticles('sender authorization').map((a) => a.id)).toContain('sender.not_authorized');
    expect(searchArticles('')).toEqual([]);
    expect(listArticles().length).toBe(CAUSE_IDS.length + listGuides().length);
  });

  it('picks the fix for the company’s permission model', () => {
    const role = causeFix('permission.missing', { permissionModel: 'role' });
    const user = causeFix('permission.missing', { permissionModel: 'user' });
    expect(role.join(' ')).toContain('Roles');
    expect(user.join(' ')).toContain('Subscriptions');
    expect(role).not.toEqual(user);
    expect(causeFix('network.timeout')).toEqual(getCause('network.timeout').fix);
  });
});

describe('catalog validation errors', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function copyCatalog(): string {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
    dirs.push(dir);
    for (const sub of ['causes', 'guides']) {
      mkdirSync(join(dir, sub));
      for (const f of readdirSync(packagePath('catalog', sub))) {
        writeFileSync(join(dir, sub, f), readFileSync(packagePath('catalog', sub, f)));
      }
    }
    writeFileSync(join(dir, 'explain.yaml'), readFileSync(packagePath('catalog', 'explain.yaml')));
    return dir;
  }

  it('names the file and the field of an invalid value', () => {
    const dir = copyCatalog();
    const file = join(dir, 'causes', 'user.inactive.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('severity: error', 'severity: fatal'));
    expect(() => loadCatalog(dir)).toThrow(CatalogError);
    expect(() => loadCatalog(dir)).toThrow(/user\.inactive\.yaml: field severity/);
  });

  it('names a related id that does not exist', () => {
    const dir = copyCatalog();
    const file = join(dir, 'causes', 'user.inactive.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('related: [', 'related: [user.gone, '));
    expect(() => loadCatalog(dir)).toThrow(/user\.inactive\.yaml: field related\[0\]/);
  });

  it('reports a cause without an article', () => {
    const dir = copyCatalog();
    rmSync(join(dir, 'causes', 'oauth.access_denied.yaml'));
    expect(() => loadCatalog(dir)).toThrow(/oauth\.access_denied\.yaml: missing/);
  });

  it('rejects a bad regex in a signature', () => {
    const dir = copyCatalog();
    const file = join(dir, 'causes', 'user.inactive.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace("texts: ['/", "texts: ['/(unclosed/', '/"));
    expect(() => loadCatalog(dir)).toThrow(
      /user\.inactive\.yaml: field signatures\[0\]\.texts\[0\]: invalid regex/,
    );
  });
});

describe('permissions guide', () => {
  it('names the module and permission of every object of the default requirements, as src/shared/objects.ts does', async () => {
    const { DEFAULT_REQUIREMENTS, MODULES, objectInfo } = await import('../../src/shared/index.js');
    const guide = getGuide('permissions')!;
    const readOnly = guide.sections.find((s) => s.title.startsWith('A read-only'))!.steps!;
    for (const { object } of DEFAULT_REQUIREMENTS) {
      const info = objectInfo(object)!;
      const line = readOnly.find((l) => l.includes(`(object ${object})`));
      expect(line, object).toBeDefined();
      expect(line).toContain(`${MODULES[info.module].name} › ${info.permission}`);
      expect(line).toContain('List');
    }
    const writes = guide.sections.find((s) => s.title.includes('writes bills'))!.steps!;
    for (const object of ['APBILL', 'ARINVOICE']) {
      const info = objectInfo(object)!;
      const line = writes.find((l) => l.includes(`(object ${object})`))!;
      expect(line).toContain(`${MODULES[info.module].name} › ${info.permission}`);
      expect(line).toMatch(/Add, Edit/);
    }
  });
});
