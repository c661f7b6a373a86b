import { useCallback, useRef, useState } from 'react';
import { type ConnectBody, connectStream } from './api.js';
import { errorText } from './components/common.js';
import type { RunState } from './components/LiveChecks.js';
import { post } from './embed.js';
import { m } from './messages.js';
import { applyProgress, settle } from './progress.js';

/** Runs one connect attempt over the SSE stream and keeps the live state for the check list. */
export function useConnectRun(token: string | null) {
  const [run, setRun] = useState<RunState | null>(null);
  const abort = useRef<AbortController | null>(null);

  const start = useCallback(
    async (body: ConnectBody) => {
      if (!token) return;
      abort.current?.abort();
      const controller = new AbortController();
      abort.current = controller;
      let state: RunState = { phase: 'running', checks: [], announcement: '', companyId: body.companyId };
      const update = (next: RunState) => {
        state = next;
        if (!controller.signal.aborted) setRun(next);
      };
      update(state);
      try {
        for await (const item of connectStream(token, body, controller.signal)) {
          if (item.kind === 'progress') {
            const event = item.event;
            const checks = applyProgress(state.checks, event);
            const announcement =
              event.type === 'check.started'
                ? m.checks.started(event.title)
                : event.type === 'check.finished'
                  ? m.checks.finished(event.check.title, m.checks.status[event.check.status])
                  : state.announcement;
            update({ ...state, checks, announcement });
          } else {
            const { result } = item;
            const checks = settle(state.checks, result.report?.checks ?? []);
            const connected = result.status === 'connected';
            const root = result.report?.findings.find((f) => f.severity === 'error') ?? null;
            update({
              ...state,
              phase: 'done',
              checks,
              connectionId: result.id,
              status: result.status,
              report: result.report,
              announcement: connected
                ? m.checks.connected(body.companyId)
                : (root?.title ?? m.checks.failedHeading),
            });
            post(
              connected
                ? {
                    event: 'connected',
                    connectionId: result.id,
                    companyId: body.companyId,
                    status: 'connected',
                  }
                : {
                    event: 'failed',
                    connectionId: result.id ?? null,
                    companyId: body.companyId,
                    status: 'failed',
                    cause: root?.cause ?? null,
                    title: root?.title ?? null,
                  },
            );
          }
        }
        if (state.phase === 'running') update({ ...state, phase: 'error', error: m.checks.streamBroken });
      } catch (error) {
        if (controller.signal.aborted) return;
        update({ ...state, phase: 'error', error: errorText(error), announcement: errorText(error) });
      }
    },
    [token],
  );

  const reset = useCallback(() => {
    abort.current?.abort();
    setRun(null);
  }, []);

  return { run, start, reset };
}
