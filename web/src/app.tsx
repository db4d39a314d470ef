import { useEffect, useState } from 'preact/hooks';
import { api, useSession, whenUnauthorized, type OpsSession } from './api.js';
import { language, setLanguage, t, type Label } from './i18n.js';
import { href, useRoute } from './router.js';
import { AlertsView } from './views/alerts.js';
import { AuditView } from './views/audit.js';
import { DeadLettersView } from './views/dead-letters.js';
import { DeadlinesView } from './views/deadlines.js';
import { EndpointsView } from './views/endpoints.js';
import { LoginView } from './views/login.js';
import { MessageView } from './views/message.js';
import { OverviewView } from './views/overview.js';
import { SearchView } from './views/search.js';

const NAVIGATION: readonly (readonly [string, Label])[] = [
  ['/overview', 'navOverview'],
  ['/search', 'navSearch'],
  ['/deadlines', 'navDeadlines'],
  ['/dead-letters', 'navDeadLetters'],
  ['/endpoints', 'navEndpoints'],
  ['/audit', 'navAudit'],
  ['/alerts', 'navAlerts'],
];

type SessionState = { readonly state: 'checking' } | { readonly state: 'out'; readonly notice?: Label } | { readonly state: 'in'; readonly session: OpsSession };

function Page({ path, params }: { path: string; params: URLSearchParams }) {
  if (path.startsWith('/message/')) return <MessageView id={decodeURIComponent(path.slice('/message/'.length))} />;
  switch (path) {
    case '/search':
      return <SearchView params={params} />;
    case '/deadlines':
      return <DeadlinesView />;
    case '/dead-letters':
      return <DeadLettersView />;
    case '/endpoints':
      return <EndpointsView />;
    case '/audit':
      return <AuditView params={params} />;
    case '/alerts':
      return <AlertsView />;
    default:
      return <OverviewView />;
  }
}

export function App() {
  const [, setShown] = useState(language());
  const [session, setSession] = useState<SessionState>({ state: 'checking' });
  const route = useRoute();

  const signIn = (next: OpsSession) => {
    useSession(next);
    setSession({ state: 'in', session: next });
  };
  const signOut = (notice?: Label) => {
    useSession(null);
    setSession(notice ? { state: 'out', notice } : { state: 'out' });
  };

  useEffect(() => {
    document.documentElement.lang = language();
    whenUnauthorized(() => signOut('sessionEnded'));
    // No session (401) or none readable: the login, without a notice.
    api.currentSession().then(signIn, () => signOut());
  }, []);

  useEffect(() => {
    document.title = t('appTitle');
  });

  const toggleLanguage = () => {
    const next = language() === 'en' ? 'da' : 'en';
    setLanguage(next);
    setShown(next);
  };

  const header = (
    <header class="top">
      <a class="skip" href="#main">{t('skipToContent')}</a>
      <span class="brand">{t('appTitle')}</span>
      <div class="tools">
        {session.state === 'in' ? (
          <span class="who">
            {t('signedInAs')} <strong>{session.session.name}</strong>
          </span>
        ) : null}
        <button type="button" class="secondary" id="language-toggle" lang={language() === 'en' ? 'da' : 'en'} aria-label={t('languageLabel')} onClick={toggleLanguage}>
          {t('language')}
        </button>
        {session.state === 'in' ? (
          <button type="button" class="secondary" id="logout" onClick={() => void api.logout().finally(() => signOut())}>
            {t('logout')}
          </button>
        ) : null}
      </div>
    </header>
  );

  if (session.state !== 'in') {
    return (
      <>
        {header}
        <main id="main" tabIndex={-1}>
          {session.state === 'checking' ? <p class="muted">{t('loading')}</p> : <LoginView notice={session.notice} onLogin={signIn} />}
        </main>
      </>
    );
  }
  const active = route.path.startsWith('/message/') ? '/search' : route.path;
  return (
    <>
      {header}
      <nav class="main-nav" aria-label="Main">
        <ul>
          {NAVIGATION.map(([path, label]) => (
            <li key={path}>
              <a href={href(path)} aria-current={active === path ? 'page' : undefined}>
                {t(label)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Page path={route.path} params={route.params} />
      </main>
    </>
  );
}
