import type { CauseId } from '../shared/causes.js';
import type { CheckResult, CheckStatus, ProgressEvent } from '../shared/report.js';

/** The checks of an XML diagnosis, in the order a person reads them (and, roughly, the order Intacct applies them). */
export const XML_CHECKS = [
  { id: 'input.sanity', title: 'Credentials are well-formed' },
  { id: 'endpoint.reachable', title: 'Intacct endpoint reachable' },
  { id: 'gateway.available', title: 'Intacct gateway accepts requests' },
  { id: 'sender.credentials', title: 'Web Services sender ID and password' },
  { id: 'company.exists', title: 'Company ID exists' },
  { id: 'company.subscription', title: 'Web Services subscription' },
  { id: 'sender.authorization', title: 'Sender ID authorized in the company' },
  { id: 'user.signin', title: 'User signs in' },
  { id: 'entity.access', title: 'Entity access' },
  { id: 'user.kind', title: 'Web Services user' },
  { id: 'user.admin', title: 'Admin privileges' },
  { id: 'role.assigned', title: 'Role assigned' },
  { id: 'module.subscription', title: 'Modules subscribed' },
  { id: 'permissions.required', title: 'Permissions for the required operations' },
] as const;

export type XmlCheckId = (typeof XML_CHECKS)[number]['id'];

export interface CheckDefinition {
  id: string;
  title: string;
}

export interface CheckOutcome {
  status: CheckStatus;
  cause?: CauseId | null;
  detail?: string;
  ms?: number;
}

/**
 * Tracks the checks of one diagnosis and streams progress. Every check ends decided: whatever is still
 * open when the diagnosis ends becomes `unknown`, because nothing was learned about it.
 */
export class CheckTracker {
  private readonly results = new Map<string, CheckResult>();
  private readonly started = new Set<string>();

  constructor(
    private readonly definitions: readonly CheckDefinition[],
    private readonly onProgress?: (event: ProgressEvent) => void,
  ) {}

  private definition(id: string): CheckDefinition {
    const def = this.definitions.find((d) => d.id === id);
    if (!def) throw new Error(`unknown check ${id}`);
    return def;
  }

  start(...ids: string[]): void {
    for (const id of ids) {
      if (this.started.has(id) || this.results.has(id)) continue;
      this.started.add(id);
      this.emit({ type: 'check.started', id, title: this.definition(id).title });
    }
  }

  isDecided(id: string): boolean {
    return this.results.has(id);
  }

  get(id: string): CheckResult | undefined {
    return this.results.get(id);
  }

  /** Decides a check once; later calls for the same id are ignored so the first (root) answer stands. */
  finish(id: string, outcome: CheckOutcome): void {
    if (this.results.has(id)) return;
    const def = this.definition(id);
    const check: CheckResult = {
      id,
      title: def.title,
      status: outcome.status,
      cause: outcome.cause ?? null,
      ms: Math.round(outcome.ms ?? 0),
      ...(outcome.detail ? { detail: outcome.detail } : {}),
    };
    this.results.set(id, check);
    this.started.delete(id);
    this.emit({ type: 'check.finished', check });
  }

  /**
   * Marks every open check unknown (or `skip` when it does not apply), with a reason naming what hid it.
   */
  finishRemaining(detail: string, ms = 0, status: 'unknown' | 'skip' = 'unknown'): void {
    for (const def of this.definitions) {
      if (!this.results.has(def.id)) this.finish(def.id, { status, detail, ms });
    }
  }

  list(): CheckResult[] {
    return this.definitions.flatMap((d) => {
      const r = this.results.get(d.id);
      return r ? [r] : [];
    });
  }

  private emit(event: ProgressEvent): void {
    try {
      this.onProgress?.(event);
    } catch {
      // A faulty progress listener must not break the diagnosis it is watching.
    }
  }
}
