import type { AlertView } from '../../../src/app/alerts.js';
import { api } from '../api.js';
import { Empty, Show, useLoad } from '../components.js';
import { when } from '../format.js';
import { t } from '../i18n.js';

function AlertTable({ id, alerts }: { id: string; alerts: readonly AlertView[] }) {
  return (
    <Empty when={alerts.length === 0}>
      <div class="table-scroll">
        <table id={id}>
          <thead>
            <tr>
              <th scope="col">{t('raisedAt')}</th>
              <th scope="col">{t('rule')}</th>
              <th scope="col">{t('subject')}</th>
              <th scope="col">{t('message')}</th>
              <th scope="col" class="num">{t('value')}</th>
              <th scope="col">{t('clearedAt')}</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((alert) => (
              <tr key={alert.id} class={alert.clearedAt ? undefined : 'stuck'}>
                <td>{when(alert.raisedAt)}</td>
                <td>
                  {alert.rule} <span class="muted">{alert.kind}</span>
                </td>
                <td class="mono">{alert.subject}</td>
                <td>{alert.message}</td>
                <td class="num">{alert.value}</td>
                <td>{when(alert.clearedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Empty>
  );
}

export function AlertsView() {
  const [loaded] = useLoad(() => api.get<{ open: AlertView[]; cleared: AlertView[] }>('/api/v1/ops/alerts'), []);
  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">{t('alertsTitle')}</h1>
      <Show loaded={loaded}>
        {(alerts) => (
          <>
            <h2>{t('open')}</h2>
            <AlertTable id="alerts-open" alerts={alerts.open} />
            <h2>{t('cleared')}</h2>
            <AlertTable id="alerts-cleared" alerts={alerts.cleared} />
          </>
        )}
      </Show>
    </section>
  );
}
