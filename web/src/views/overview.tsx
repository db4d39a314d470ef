import { useEffect } from 'preact/hooks';
import type { AlertView } from '../../../src/app/alerts.js';
import type { EndpointOverview, OpsOverview } from '../../../src/app/ops-overview.js';
import { api } from '../api.js';
import { BarChart } from '../chart.js';
import { Show, useLoad } from '../components.js';
import { age, ago, count, when } from '../format.js';
import { t } from '../i18n.js';
import { href } from '../router.js';
import { useLiveEvents } from '../live.js';

const COLORS = { accepted: '#1b6ac9', duplicates: '#8a6d00', rejected: '#b42318' };

/** `now` is the overview's own instant: ages are the gateway's, whatever the browser's clock says. */
function EndpointRow({ endpoint, now }: { endpoint: EndpointOverview; now: number }) {
  const cell = (name: string, value: number) => (
    <td class={`num ${name}${value > 0 && name !== 'waiting' && name !== 'leased' ? ' warn' : ''}`}>{count(value)}</td>
  );
  return (
    <tr id={`endpoint-${endpoint.ean}`} class={endpoint.stuck ? 'stuck' : undefined}>
      <th scope="row">
        <span class="name">{endpoint.name ?? t('notInRegister')}</span>
        <span class="ean">{endpoint.ean}</span>
        {endpoint.stuck ? <span class="badge warn">{t('stuck')}</span> : null}
      </th>
      <td>{endpoint.mode ?? '—'}</td>
      {cell('waiting', endpoint.waiting)}
      {cell('leased', endpoint.leased)}
      {cell('unanswered', endpoint.deliveredNotAnswered)}
      {cell('unacknowledged', endpoint.unacknowledged)}
      {cell('dead', endpoint.deadLettered)}
      {cell('overdue', endpoint.receiptsOverdue)}
      <td class="num oldest">{age(endpoint.oldestWaitingSeconds)}</td>
      <td title={when(endpoint.lastPolledAt)}>{ago(endpoint.lastPolledAt, now)}</td>
      <td title={when(endpoint.lastPushedAt)}>{ago(endpoint.lastPushedAt, now)}</td>
      <td class="paused">
        {endpoint.paused ? (
          <span class="badge warn" title={`${t('pausedBy')} ${endpoint.paused.operator}: ${endpoint.paused.reason}`}>
            {t('paused')} {t('since')} {when(endpoint.paused.since)}
          </span>
        ) : (
          '—'
        )}
      </td>
    </tr>
  );
}

function Figure({ id, label, value, warn }: { id: string; label: string; value: number; warn?: boolean }) {
  return (
    <div class={`figure${warn && value > 0 ? ' warn' : ''}`} id={id}>
      <span class="value">{count(value)}</span>
      <span class="label">{label}</span>
    </div>
  );
}

export function OverviewView() {
  const [loaded, reload] = useLoad(() => api.get<OpsOverview>('/api/v1/ops/overview'), []);
  const [alerts, reloadAlerts] = useLoad(() => api.get<{ open: AlertView[] }>('/api/v1/ops/alerts', { cleared: 0 }), []);
  const live = useLiveEvents(() => {
    reload();
    reloadAlerts();
  });
  // Without the event stream, the figures are reloaded every 15 seconds.
  useEffect(() => {
    if (live.connected) return;
    const timer = setInterval(() => {
      reload();
      reloadAlerts();
    }, 15_000);
    return () => clearInterval(timer);
  }, [live.connected, reload, reloadAlerts]);
  return (
    <section aria-labelledby="overview-title">
      <div class="title-row">
        <h1 id="overview-title">{t('navOverview')}</h1>
        <p class={`live ${live.connected ? 'on' : 'off'}`} role="status" aria-live="polite">
          <span class="dot" aria-hidden="true" />
          {live.connected ? t('live') : t('liveOff')}
          {live.lastEvent ? ` · ${t('lastEvent')} ${live.lastEvent.kind} ${when(new Date(live.lastEvent.at).toISOString())}` : ''}
        </p>
      </div>
      {alerts.state === 'ready' && alerts.data.open.length > 0 ? (
        <p class="alert-banner" role="alert">
          <a href={href('/alerts')}>
            {t('openAlerts')}: {alerts.data.open.length}
          </a>{' '}
          — {alerts.data.open.slice(0, 3).map((alert) => alert.message).join(' · ')}
        </p>
      ) : null}
      <Show loaded={loaded}>
        {(overview) => (
          <>
            <p class="muted">
              {t('generatedAt')} {when(overview.generatedAt)}
            </p>
            <div class="figures">
              <Figure id="figure-accepted-hour" label={`${t('accepted')}, ${t('lastHour')}`} value={overview.types.reduce((sum, type) => sum + type.accepted.lastHour, 0)} />
              <Figure id="figure-waiting" label={t('waiting')} value={overview.endpoints.reduce((sum, e) => sum + e.waiting, 0)} />
              <Figure id="figure-receipts-overdue" label={t('receiptsOverdue')} value={overview.receiptsOverdue} warn />
              <Figure id="figure-breaches-today" label={t('breachesToday')} value={overview.deadlineBreaches.today} warn />
              <Figure id="figure-breaches-week" label={t('breachesWeek')} value={overview.deadlineBreaches.thisWeek} warn />
            </div>
            <h2>{t('endpointsTitle')}</h2>
            <div class="table-scroll">
              <table class="endpoints">
                <thead>
                  <tr>
                    <th scope="col">{t('endpoint')}</th>
                    <th scope="col">{t('mode')}</th>
                    <th scope="col" class="num">{t('waiting')}</th>
                    <th scope="col" class="num">{t('leased')}</th>
                    <th scope="col" class="num">{t('unanswered')}</th>
                    <th scope="col" class="num">{t('unacknowledged')}</th>
                    <th scope="col" class="num">{t('deadLettered')}</th>
                    <th scope="col" class="num">{t('receiptsOverdue')}</th>
                    <th scope="col" class="num">{t('oldestWaiting')}</th>
                    <th scope="col">{t('lastPoll')}</th>
                    <th scope="col">{t('lastPush')}</th>
                    <th scope="col">{t('paused')}</th>
                  </tr>
                </thead>
                <tbody>
                  {overview.endpoints.map((endpoint) => (
                    <EndpointRow key={endpoint.ean} endpoint={endpoint} now={new Date(overview.generatedAt).getTime()} />
                  ))}
                </tbody>
              </table>
            </div>
            <h2>{t('typesTitle')}</h2>
            <div class="charts">
              <figure>
                <figcaption>{t('chartHour')}</figcaption>
                <BarChart
                  summary={t('chartHour')}
                  labels={overview.types.map((type) => type.type)}
                  series={[
                    { label: t('accepted'), color: COLORS.accepted, values: overview.types.map((type) => type.accepted.lastHour) },
                    { label: t('duplicates'), color: COLORS.duplicates, values: overview.types.map((type) => type.duplicates.lastHour) },
                    { label: t('rejected'), color: COLORS.rejected, values: overview.types.map((type) => type.rejected.lastHour) },
                  ]}
                />
              </figure>
              <figure>
                <figcaption>{t('chartDay')}</figcaption>
                <BarChart
                  summary={t('chartDay')}
                  labels={overview.types.map((type) => type.type)}
                  series={[
                    { label: t('accepted'), color: COLORS.accepted, values: overview.types.map((type) => type.accepted.lastDay) },
                    { label: t('duplicates'), color: COLORS.duplicates, values: overview.types.map((type) => type.duplicates.lastDay) },
                    { label: t('rejected'), color: COLORS.rejected, values: overview.types.map((type) => type.rejected.lastDay) },
                  ]}
                />
              </figure>
            </div>
            <p class="muted small">{t('chartsNote')}</p>
            <div class="table-scroll">
              <table class="types">
                <thead>
                  <tr>
                    <th scope="col">{t('type')}</th>
                    <th scope="col" class="num">{t('accepted')}, {t('lastHour')}</th>
                    <th scope="col" class="num">{t('accepted')}, {t('lastDay')}</th>
                    <th scope="col" class="num">{t('duplicates')}, {t('lastDay')}</th>
                    <th scope="col" class="num">{t('rejected')}, {t('lastHour')}</th>
                    <th scope="col" class="num">{t('rejected')}, {t('lastDay')}</th>
                  </tr>
                </thead>
                <tbody>
                  {overview.types.map((type) => (
                    <tr key={type.type} id={`type-${type.type}`}>
                      <th scope="row">{type.type}</th>
                      <td class="num accepted-hour">{count(type.accepted.lastHour)}</td>
                      <td class="num">{count(type.accepted.lastDay)}</td>
                      <td class="num">{count(type.duplicates.lastDay)}</td>
                      <td class="num">{count(type.rejected.lastHour)}</td>
                      <td class="num">{count(type.rejected.lastDay)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Show>
    </section>
  );
}
