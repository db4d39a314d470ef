import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { t } from './i18n.js';

export type Loaded<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'ready'; readonly data: T }
  | { readonly state: 'missing' }
  | { readonly state: 'failed'; readonly error: string };

/** Loads `load()` now and whenever `deps` change; `reload` loads again without showing "loading". */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setLoaded({ state: 'ready', data }),
      (error: unknown) => {
        if (!live) return;
        // A 404 on a whole route (not a problem about one item) means the gateway has no such view yet.
        if (error instanceof ApiError && (error.status === 404 || error.status === 405) && /there is no (GET|POST|PUT|DELETE) \//.test(error.message)) setLoaded({ state: 'missing' });
        else setLoaded({ state: 'failed', error: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return [loaded, reload];
}

export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <p class="muted" role="status">{t('loading')}</p>;
  if (loaded.state === 'missing') return <p class="notice">{t('unavailable')}</p>;
  if (loaded.state === 'failed') return <p class="error" role="alert">{t('error')}: {loaded.error}</p>;
  return <>{children(loaded.data)}</>;
}

export function ErrorText({ error }: { error: string | null }) {
  return error ? <p class="error" role="alert">{error}</p> : null;
}

let nextId = 0;
/** A stable id for a label's `for`. */
export function useId(prefix: string): string {
  const [id] = useState(() => `${prefix}-${++nextId}`);
  return id;
}

/**
 * The "state your reason" step in front of every audited read and action: a labelled text area (at
 * least a few words) and a submit button; `onSubmit` gets the reason.
 */
export function ReasonForm(props: {
  title: string;
  submitLabel: string;
  onSubmit: (reason: string) => Promise<void>;
  onCancel?: () => void;
  children?: ComponentChildren;
}) {
  const id = useId('reason');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.onSubmit(reason.trim());
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="reason-form" onSubmit={(event) => void submit(event)}>
      <fieldset>
        <legend>{props.title}</legend>
        {props.children}
        <label for={id}>{t('reason')}</label>
        <textarea id={id} name="reason" required minLength={3} rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} aria-describedby={`${id}-hint`} />
        <p id={`${id}-hint`} class="hint">{t('reasonHint')}</p>
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" disabled={busy}>{props.submitLabel}</button>
          {props.onCancel ? <button type="button" class="secondary" onClick={props.onCancel}>{t('cancel')}</button> : null}
        </div>
      </fieldset>
    </form>
  );
}

export function Empty({ when, children }: { when: boolean; children: ComponentChildren }) {
  return when ? <p class="muted">{t('none')}</p> : <>{children}</>;
}
