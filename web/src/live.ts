/**
 * The ops event stream (`GET /api/v1/ops/events`, Server-Sent Events): calls `onChange` (at most once
 * a second) whenever something the overview counts has changed, and reports whether the stream is up.
 * Without the stream the caller falls back to reloading on a timer.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { OPS_EVENT_TYPES } from '../../src/domain/ops-event.js';

/** The event types the gateway sends; unnamed events count too. */
const EVENT_NAMES = ['message', ...OPS_EVENT_TYPES];

/** The gateway's instant of an event (its own clock), else the browser's. */
function instantOf(event: MessageEvent): number {
  try {
    const at = (JSON.parse(String(event.data)) as { at?: unknown }).at;
    if (typeof at === 'string' && !Number.isNaN(Date.parse(at))) return Date.parse(at);
  } catch {
    // not JSON: the browser's clock will do
  }
  return Date.now();
}

export interface LiveState {
  readonly connected: boolean;
  readonly lastEvent: { readonly kind: string; readonly at: number } | null;
}

export function useLiveEvents(onChange: () => void): LiveState {
  const [state, setState] = useState<LiveState>({ connected: false, lastEvent: null });
  const callback = useRef(onChange);
  callback.current = onChange;
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/v1/ops/events');
    let timer: ReturnType<typeof setTimeout> | null = null;
    const changed = (event: MessageEvent) => {
      setState({ connected: true, lastEvent: { kind: event.type === 'message' ? 'event' : event.type, at: instantOf(event) } });
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        callback.current();
      }, 1000);
    };
    for (const name of EVENT_NAMES) source.addEventListener(name, changed as EventListener);
    source.onopen = () => setState((s) => ({ ...s, connected: true }));
    source.onerror = () => setState((s) => ({ ...s, connected: source.readyState === EventSource.OPEN }));
    return () => {
      if (timer) clearTimeout(timer);
      source.close();
    };
  }, []);
  return state;
}
