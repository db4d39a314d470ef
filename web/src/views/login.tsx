import { useState } from 'preact/hooks';
import { ApiError, api, type OpsSession } from '../api.js';
import { ErrorText } from '../components.js';
import { t, type Label } from '../i18n.js';

export function LoginView({ notice, onLogin }: { notice: Label | undefined; onLogin: (session: OpsSession) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api.login(key.trim());
      setKey('');
      onLogin(session);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 403) setError(t('loginEndpointKey'));
      else if (failure instanceof ApiError && failure.status === 401) setError(t('loginRefused'));
      else setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="login" aria-labelledby="login-title">
      <h1 id="login-title">{t('loginTitle')}</h1>
      <p>{t('loginIntro')}</p>
      {notice ? <p class="notice" role="status">{t(notice)}</p> : null}
      <form onSubmit={(event) => void submit(event)}>
        <label for="ops-key">{t('opsKey')}</label>
        <input id="ops-key" name="key" type="password" autoComplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <ErrorText error={error} />
        <button type="submit" disabled={busy}>
          {t('login')}
        </button>
      </form>
    </section>
  );
}
