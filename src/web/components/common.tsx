import { type ReactNode, type RefObject, useEffect, useRef, useState } from 'react';
import { m } from '../messages.js';

/**
 * Moves keyboard and screen-reader focus to `ref` whenever `key` changes (not on first render), so a
 * step or screen change is announced and Tab continues from the new content.
 */
export function useFocusOnChange(ref: RefObject<HTMLElement | null>, key: unknown): void {
  const first = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key is the trigger, not a value read
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    ref.current?.focus();
  }, [key]);
}

export function CopyField({ label, value, id }: { label: string; value: string; id: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <div className="copy-field">
      <span className="copy-label" id={`${id}-label`}>
        {label}
      </span>
      <code className="copy-value" id={id}>
        {value}
      </code>
      <button type="button" className="secondary" onClick={copy} aria-describedby={`${id}-label`}>
        {state === 'copied' ? m.common.copied : m.common.copy}
      </button>
      <span className="copy-state" role="status">
        {state === 'failed' ? m.common.copyFailed : state === 'copied' ? `${label}: ${m.common.copied}` : ''}
      </span>
    </div>
  );
}

export function Steps({ items }: { items: readonly string[] }) {
  return (
    <ol className="steps">
      {items.map((item) => (
        <li key={item}>{item}</li>
      ))}
    </ol>
  );
}

export function Notice({ kind, children }: { kind: 'error' | 'info' | 'success'; children: ReactNode }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function errorText(error: unknown): string {
  const status = (error as { status?: number } | null)?.status;
  if (status === 0) return m.common.networkError;
  return m.common.error(error instanceof Error ? error.message : String(error));
}
