/**
 * The cause catalog and the setup guides: YAML data under catalog/, validated here and loaded once.
 * Articles are data so that support staff can correct wording without touching code, and so that the
 * explainer's signatures sit next to the prose that explains them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CAUSE_IDS, type CauseId, isCauseId } from '../shared/causes.js';
import { packagePath } from '../shared/paths.js';

/** Where a failure shows up (reference §4): edge, XML gateway, control, authentication, result, OAuth authorize, token endpoint, REST call. */
export const LAYERS = ['E', 'G', 'C', 'A', 'R', 'AZ', 'TK', 'API'] as const;
export type Layer = (typeof LAYERS)[number];

/** How sure we are of a statement, with the reference's evidence tags. */
export const CONFIDENCE_TAGS = ['D', 'D~', 'S', 'O', 'I', 'M'] as const;

const toArray = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const causeIdSchema = z.string().refine(isCauseId, { message: 'not a cause id of CONTRACT §3' });

const textOrRegex = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    if (value.startsWith('/') && value.lastIndexOf('/') > 0) {
      try {
        compileText(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `invalid regex: ${(error as Error).message}` });
      }
    }
  });

export const signatureSchema = z
  .object({
    /** Layers this signature applies to; when the text's layer is known and not listed, it does not match. */
    layer: toArray(z.enum(LAYERS)).optional(),
    /** When true, the text's layer must be known and listed (for evidence that only means something there). */
    strictLayer: z.boolean().default(false),
    /** errorno, REST `code` / `errorId`, or OAuth `error`; any one must be present (case-insensitive). */
    code: toArray(z.string().min(1)).optional(),
    /** Normalized substrings, or `/regex/flags` over the normalized text; any one must be present. */
    texts: toArray(textOrRegex).optional(),
    /** When any of these is present the signature does not match. */
    unless: toArray(textOrRegex).optional(),
    /** HTTP statuses; when the text's status is known and not listed, it does not match. */
    httpStatus: toArray(z.number().int().min(100).max(599)).optional(),
    /** Confidence this evidence gives, 0..1 (default 0.9). Lower it for ambiguous evidence. */
    weight: z.number().min(0).max(1).default(0.9),
    /** Why this signature exists (for maintainers). */
    note: z.string().optional(),
  })
  .strict()
  .refine((s) => s.code !== undefined || s.texts !== undefined || s.httpStatus !== undefined, {
    message: 'a signature needs at least one of code, texts or httpStatus',
  });

export type Signature = z.output<typeof signatureSchema>;

const whyItem = z
  .union([
    z.string().min(1),
    z.object({ text: z.string().min(1), confidence: z.enum(CONFIDENCE_TAGS) }).strict(),
  ])
  .transform((v) => (typeof v === 'string' ? { text: v } : v) as { text: string; confidence?: string });

const faqItem = z.object({ q: z.string().min(1), a: z.string().min(1) }).strict();
const steps = z.array(z.string().min(1)).min(1);

export const causeArticleSchema = z
  .object({
    id: causeIdSchema,
    title: z.string().min(1),
    severity: z.enum(['error', 'warning']),
    layer: toArray(z.enum(LAYERS)),
    /** Who has to act: the customer's Intacct admin, the application's developer (licence holder), Sage, or the person connecting. */
    whoActs: z.enum([
      'customer_admin',
      'developer',
      'sage',
      'person_connecting',
      'customer_admin_or_developer',
    ]),
    summary: z.string().min(1),
    inferred: z.boolean(),
    symptoms: z.array(z.string().min(1)).min(1),
    why: z.array(whyItem).min(1),
    fix: steps,
    fixRoleBased: steps.optional(),
    fixUserBased: steps.optional(),
    fixTopLevel: steps.optional(),
    fixEntity: steps.optional(),
    verify: steps,
    faq: z.array(faqItem).min(3).max(5),
    related: z.array(causeIdSchema),
    signatures: z.array(signatureSchema).min(1),
    examples: z.array(z.string().min(1)).min(2).max(5),
  })
  .strict();

export type CauseArticle = z.output<typeof causeArticleSchema> & { id: CauseId };

export const guideSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    title: z.string().min(1),
    summary: z.string().min(1),
    sections: z
      .array(
        z
          .object({
            title: z.string().min(1),
            body: z.string().min(1).optional(),
            steps: steps.optional(),
            tips: z.array(z.string().min(1)).optional(),
          })
          .strict(),
      )
      .min(1),
    tips: z.array(z.string().min(1)).optional(),
    faq: z.array(faqItem).min(1),
    related: z.array(causeIdSchema),
  })
  .strict();

export type Guide = z.output<typeof guideSchema>;

export type Article = ({ kind: 'cause' } & CauseArticle) | ({ kind: 'guide' } & Guide);

/** Texts that mark a paste as some other product's problem, and texts that mark it as Intacct's. */
export const explainSettingsSchema = z
  .object({
    foreignMarkers: z.array(z.string().min(1)),
    /** Host names (and their subdomains) that count as Intacct's, for pastes that contain web addresses. */
    intacctHosts: z.array(z.string().min(1)),
    intacctMarkers: z.array(z.string().min(1)),
  })
  .strict();

export type ExplainSettings = z.output<typeof explainSettingsSchema>;

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

interface Catalog {
  causes: Map<CauseId, CauseArticle>;
  guides: Map<string, Guide>;
  settings: ExplainSettings;
}

let cached: Catalog | undefined;
let catalogDir = packagePath('catalog');

/** For tests that load a catalog from elsewhere; resets the cache. */
export function setCatalogDir(dir: string): void {
  catalogDir = dir;
  cached = undefined;
}

function issuePath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

function readYaml<T extends z.ZodType>(file: string, schema: T): z.output<T> {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CatalogError(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const first = result.error.issues[0]!;
    const where = issuePath(first.path) || '(root)';
    throw new CatalogError(`${file}: field ${where}: ${first.message}`);
  }
  return result.data;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
}

/** Reads and checks every file; throws CatalogError naming the file and field at the first problem. */
export function loadCatalog(dir = catalogDir): Catalog {
  const causes = new Map<CauseId, CauseArticle>();
  for (const name of yamlFiles(`${dir}/causes`)) {
    const file = `${dir}/causes/${name}`;
    const article = readYaml(file, causeArticleSchema) as CauseArticle;
    if (`${article.id}.yaml` !== name) {
      throw new CatalogError(`${file}: field id: "${article.id}" does not match the file name`);
    }
    causes.set(article.id, article);
  }
  for (const id of CAUSE_IDS) {
    if (!causes.has(id))
      throw new CatalogError(`${dir}/causes/${id}.yaml: missing (every cause id needs an article)`);
  }
  const guides = new Map<string, Guide>();
  for (const name of yamlFiles(`${dir}/guides`)) {
    const file = `${dir}/guides/${name}`;
    const guide = readYaml(file, guideSchema);
    if (`${guide.id}.yaml` !== name) {
      throw new CatalogError(`${file}: field id: "${guide.id}" does not match the file name`);
    }
    if (isCauseId(guide.id)) throw new CatalogError(`${file}: field id: clashes with a cause id`);
    guides.set(guide.id, guide);
  }
  const settings = readYaml(`${dir}/explain.yaml`, explainSettingsSchema);
  return { causes, guides, settings };
}

function catalog(): Catalog {
  cached ??= loadCatalog();
  return cached;
}

export function listCauses(): CauseArticle[] {
  return [...catalog().causes.values()];
}

export function getCause(id: CauseId): CauseArticle {
  const article = catalog().causes.get(id);
  if (!article) throw new CatalogError(`no catalog article for cause "${id}"`);
  return article;
}

export function listGuides(): Guide[] {
  return [...catalog().guides.values()];
}

export function getGuide(id: string): Guide | undefined {
  return catalog().guides.get(id);
}

/** A cause article or a guide by id; undefined when neither exists. */
export function getArticle(id: string): Article | undefined {
  if (isCauseId(id)) return { kind: 'cause', ...getCause(id) };
  const guide = getGuide(id);
  return guide ? { kind: 'guide', ...guide } : undefined;
}

export function explainSettings(): ExplainSettings {
  return catalog().settings;
}

export interface ArticleSummary {
  id: string;
  kind: 'cause' | 'guide';
  title: string;
  summary: string;
}

export function listArticles(): ArticleSummary[] {
  return [
    ...listGuides().map((g) => ({ id: g.id, kind: 'guide' as const, title: g.title, summary: g.summary })),
    ...listCauses().map((c) => ({ id: c.id, kind: 'cause' as const, title: c.title, summary: c.summary })),
  ];
}

/**
 * Fix steps for a finding, picking the permission-model or entity variant when the caller knows which
 * applies; otherwise the general steps.
 */
export function causeFix(
  id: CauseId,
  context: { permissionModel?: 'role' | 'user'; entity?: boolean } = {},
): string[] {
  const article = getCause(id);
  if (context.permissionModel === 'role' && article.fixRoleBased) return article.fixRoleBased;
  if (context.permissionModel === 'user' && article.fixUserBased) return article.fixUserBased;
  if (context.entity === true && article.fixEntity) return article.fixEntity;
  if (context.entity === false && article.fixTopLevel) return article.fixTopLevel;
  return article.fix;
}

function searchableText(article: Article): { title: string; body: string } {
  if (article.kind === 'cause') {
    return {
      title: `${article.title} ${article.id}`,
      body: [
        article.summary,
        ...article.symptoms,
        ...article.why.map((w) => w.text),
        ...article.fix,
        ...article.faq.flatMap((f) => [f.q, f.a]),
        ...article.signatures.flatMap((s) => s.code ?? []),
      ].join(' '),
    };
  }
  return {
    title: `${article.title} ${article.id}`,
    body: [
      article.summary,
      ...article.sections.flatMap((s) => [s.title, s.body ?? '', ...(s.steps ?? []), ...(s.tips ?? [])]),
      ...article.faq.flatMap((f) => [f.q, f.a]),
    ].join(' '),
  };
}

/** Plain keyword search over titles (weighted) and bodies; every query word must appear somewhere. */
export function searchArticles(q: string): Array<ArticleSummary & { score: number }> {
  const words = q
    .toLowerCase()
    .split(/[^a-z0-9_.-]+/)
    .filter((w) => w.length > 1);
  if (words.length === 0) return [];
  const results: Array<ArticleSummary & { score: number }> = [];
  const all: Article[] = [
    ...listGuides().map((g) => ({ kind: 'guide' as const, ...g })),
    ...listCauses().map((c) => ({ kind: 'cause' as const, ...c })),
  ];
  for (const article of all) {
    const { title, body } = searchableText(article);
    const t = title.toLowerCase();
    const b = body.toLowerCase();
    let score = 0;
    let all = true;
    for (const w of words) {
      const inTitle = t.includes(w);
      const inBody = b.includes(w);
      if (!inTitle && !inBody) {
        all = false;
        break;
      }
      score += (inTitle ? 3 : 0) + (inBody ? 1 : 0);
    }
    if (all)
      results.push({
        id: article.id,
        kind: article.kind,
        title: article.title,
        summary: article.summary,
        score,
      });
  }
  return results.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

/** Compiles a signature text: `/regex/flags` or a plain substring (already normalized). */
export function compileText(text: string): RegExp | string {
  if (text.startsWith('/')) {
    const end = text.lastIndexOf('/');
    if (end > 0) return new RegExp(text.slice(1, end), text.slice(end + 1) || 'i');
  }
  return text.toLowerCase();
}
