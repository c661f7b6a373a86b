/**
 * `explain`: names the cause of a pasted Intacct connection error. Code here only extracts features
 * and scores them; what identifies each cause (codes, texts, layers, statuses, weights) is data in the
 * catalog's `signatures`, so a new cause or a new error text is a data change.
 */
import type { CauseId } from '../../shared/causes.js';
import { type CauseArticle, explainSettings, type Layer, listCauses, type Signature } from '../catalog.js';
import { extractFeatures, type Features } from './features.js';
import { normalizeSignatureText } from './normalize.js';

export { extractFeatures, type Features } from './features.js';
export { decode, normalizeText } from './normalize.js';

export interface ExplainMatch {
  cause: CauseId;
  /** 0..1: how strongly the evidence points at this cause. */
  confidence: number;
  title: string;
  fix: string[];
  /** Help article id (the cause id). */
  article: string;
  layer?: Layer;
  code?: string;
  evidence?: {
    text?: string;
    httpStatus?: number;
    supportIds?: string[];
    requestIds?: string[];
    missing?: Array<{ object: string; operation: string }>;
  };
}

export interface ExplainResult {
  matches: ExplainMatch[];
}

/** Candidates below this are noise rather than a lead worth showing. */
const MIN_CONFIDENCE = 0.1;
const MAX_MATCHES = 8;
/** Signatures weaker than this are guesses (a bare status, one meaning of an ambiguous code). */
const WEAK_EVIDENCE = 0.5;

type Matcher = (text: string) => string | undefined;

interface CompiledSignature {
  cause: CauseArticle;
  signature: Signature;
  layers?: ReadonlySet<Layer>;
  codes?: string[];
  texts?: Matcher[];
  unless?: Matcher[];
  statuses?: ReadonlySet<number>;
}

function compileMatcher(source: string): Matcher {
  if (source.startsWith('/') && source.lastIndexOf('/') > 0) {
    const end = source.lastIndexOf('/');
    const re = new RegExp(source.slice(1, end), source.slice(end + 1).replace('g', '') || 'i');
    return (text) => re.exec(text)?.[0];
  }
  const needle = normalizeSignatureText(source);
  return (text) => (text.includes(needle) ? needle : undefined);
}

let compiled:
  | { signatures: CompiledSignature[]; foreign: Matcher[]; intacct: Matcher[]; hosts: string[] }
  | undefined;

function compileCatalog() {
  if (compiled) return compiled;
  const signatures: CompiledSignature[] = [];
  for (const cause of listCauses()) {
    for (const signature of cause.signatures) {
      const entry: CompiledSignature = { cause, signature };
      if (signature.layer) entry.layers = new Set(signature.layer);
      if (signature.code) entry.codes = signature.code.map((c) => c.toUpperCase());
      if (signature.texts) entry.texts = signature.texts.map(compileMatcher);
      if (signature.unless) entry.unless = signature.unless.map(compileMatcher);
      if (signature.httpStatus) entry.statuses = new Set(signature.httpStatus);
      signatures.push(entry);
    }
  }
  const settings = explainSettings();
  compiled = {
    signatures,
    foreign: settings.foreignMarkers.map(compileMatcher),
    intacct: settings.intacctMarkers.map(compileMatcher),
    hosts: settings.intacctHosts.map((h) => h.toLowerCase()),
  };
  return compiled;
}

interface Hit {
  entry: CompiledSignature;
  confidence: number;
  code?: string;
  text?: string;
}

function firstMatch(matchers: Matcher[], text: string): string | undefined {
  for (const m of matchers) {
    const hit = m(text);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** All of a signature's conditions must hold together; layer and status only veto when known. */
function evaluate(entry: CompiledSignature, f: Features): Hit | undefined {
  if (entry.layers && f.layer && !entry.layers.has(f.layer)) return undefined;
  if (entry.signature.strictLayer && !(entry.layers && f.layer)) return undefined;
  if (entry.statuses) {
    if (f.httpStatus !== undefined && !entry.statuses.has(f.httpStatus)) return undefined;
    if (f.httpStatus === undefined && !entry.codes && !entry.texts) return undefined;
  }
  let code: string | undefined;
  if (entry.codes) {
    code = entry.codes.find((c) => f.codes.includes(c));
    if (!code) return undefined;
  }
  let text: string | undefined;
  if (entry.texts) {
    text = firstMatch(entry.texts, f.text);
    if (text === undefined) return undefined;
  }
  if (entry.unless && firstMatch(entry.unless, f.text) !== undefined) return undefined;
  let confidence = entry.signature.weight;
  // Corroboration from structure raises confidence a little; it never makes a match on its own.
  if (entry.layers && f.layer) confidence += 0.02;
  if (entry.statuses && f.httpStatus !== undefined && (entry.codes || entry.texts)) confidence += 0.02;
  const hit: Hit = { entry, confidence: Math.min(0.99, confidence) };
  if (code) hit.code = code;
  if (text) hit.text = text;
  return hit;
}

function isForeign(f: Features, c: NonNullable<typeof compiled>): boolean {
  return firstMatch(c.foreign, f.text) !== undefined && firstMatch(c.intacct, f.text) === undefined;
}

/**
 * True when the paste has web addresses and none is Intacct's. Then only strong evidence counts: a
 * bare HTTP status from someone else's API is no reason to suspect Intacct, while a named error (an
 * OAuth callback on the application's own host, say) still is.
 */
function otherHostsOnly(f: Features, c: NonNullable<typeof compiled>): boolean {
  if (firstMatch(c.intacct, f.text) !== undefined) return false;
  const hosts = [...f.decoded.matchAll(/\bhttps?:\/\/([a-z0-9.-]+)/gi)].map((m) => m[1]!.toLowerCase());
  return hosts.length > 0 && !hosts.some((h) => c.hosts.some((ok) => h === ok || h.endsWith(`.${ok}`)));
}

export function explain(text: string): ExplainResult {
  if (typeof text !== 'string' || text.trim() === '') return { matches: [] };
  const c = compileCatalog();
  const f = extractFeatures(text);
  if (isForeign(f, c)) return { matches: [] };

  const hits: Hit[] = [];
  for (const entry of c.signatures) {
    const hit = evaluate(entry, f);
    if (hit) hits.push(hit);
  }
  // Code-only guesses (an ambiguous code such as XL03000006 alone) give way once a text has said
  // which meaning applies: either a signature narrowed that same code, or a strong text match exists.
  const narrowed = new Set(hits.filter((h) => h.code && h.entry.texts).map((h) => h.code));
  const strongText = hits.some((h) => h.entry.texts && h.entry.signature.weight >= 0.8);
  const isGuess = (h: Hit) => h.code !== undefined && !h.entry.texts;
  const kept = hits.filter(
    (h) => !(isGuess(h) && (narrowed.has(h.code) || (strongText && h.entry.signature.weight < 0.75))),
  );

  const floor = otherHostsOnly(f, c) ? WEAK_EVIDENCE : 0;
  const best = new Map<CauseId, Hit>();
  for (const hit of kept) {
    if (hit.entry.signature.weight < floor) continue;
    const id = hit.entry.cause.id;
    const prior = best.get(id);
    if (!prior || hit.confidence > prior.confidence) best.set(id, hit);
  }
  const order = new Map(listCauses().map((a, i) => [a.id, i]));
  const matches = [...best.values()]
    .filter((h) => h.confidence >= MIN_CONFIDENCE)
    .sort(
      (a, b) => b.confidence - a.confidence || order.get(a.entry.cause.id)! - order.get(b.entry.cause.id)!,
    )
    .slice(0, MAX_MATCHES)
    .map((h) => toMatch(h, f));
  return { matches };
}

function toMatch(hit: Hit, f: Features): ExplainMatch {
  const article = hit.entry.cause;
  const match: ExplainMatch = {
    cause: article.id,
    confidence: Math.round(hit.confidence * 100) / 100,
    title: article.title,
    // A copy: callers may edit their answer without touching the shared catalog.
    fix: [...article.fix],
    article: article.id,
  };
  if (f.layer) match.layer = f.layer;
  if (hit.code) match.code = hit.code;
  const evidence: NonNullable<ExplainMatch['evidence']> = {};
  if (hit.text) evidence.text = hit.text;
  if (f.httpStatus !== undefined) evidence.httpStatus = f.httpStatus;
  if (f.supportIds.length) evidence.supportIds = f.supportIds;
  if (f.requestIds.length) evidence.requestIds = f.requestIds;
  if (article.id === 'permission.missing' && f.denied.length) evidence.missing = f.denied;
  if (Object.keys(evidence).length) match.evidence = evidence;
  return match;
}
