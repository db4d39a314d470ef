import { useState } from 'preact/hooks';
import type { EndpointStatus } from '../../../src/app/ops-endpoints.js';
import { api } from '../api.js';
import { ReasonForm, Show, useLoad } from '../components.js';
import { ago, when } from '../format.js';
import { t } from '../i18n.js';

/** The endpoint register with each endpoint's pause state and last activity, each with pause or resume. */
export function EndpointsView() {
  const [loaded, reload] = useLoad(() => api.get<{ endpoints: EndpointStatus[] }>('/api/v1/ops/endpoints'), []);
  const [acting, setActing] = useState<{ endpoint: EndpointStatus; action: 'pause' | 'resume' } | null>(null);
  return (
    <section aria-labelledby="endpoints-title">
      <h1 id="endpoints-title">{t('endpointsPageTitle')}</h1>
      <Show loaded={loaded}>
        {(list) => (
          <div class="table-scroll">
            <table id="endpoint-list">
              <thead>
                <tr>
                  <th scope="col">{t('endpoint')}</th>
                  <th scope="col">{t('mode')}</th>
                  <th scope="col">{t('enabled')}</th>
                  <th scope="col">{t('lastPoll')}</th>
                  <th scope="col">{t('paused')}</th>
                  <th scope="col">
                    <span class="visually-hidden">{t('action')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {[...list.endpoints]
                  .sort((a, b) => a.ean.localeCompare(b.ean))
                  .map((endpoint) => (
                    <tr key={endpoint.ean} id={`endpoint-row-${endpoint.ean}`} class={endpoint.paused ? 'stuck' : undefined}>
                      <th scope="row">
                        <span class="name">{endpoint.name}</span> <span class="ean">{endpoint.ean}</span>
                      </th>
                      <td>{endpoint.mode}</td>
                      <td>{endpoint.enabled ? t('yes') : t('no')}</td>
                      <td title={when(endpoint.lastPolledAt)}>{ago(endpoint.lastPolledAt)}</td>
                      <td>
                        {endpoint.paused
                          ? `${when(endpoint.paused.since)} · ${endpoint.paused.operator}: ${endpoint.paused.reason}`
                          : '—'}
                      </td>
                      <td>
                        <button type="button" class="secondary" onClick={() => setActing({ endpoint, action: endpoint.paused ? 'resume' : 'pause' })}>
                          {endpoint.paused ? t('resume') : t('pause')}
                        </button>
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
      {acting ? (
        <ReasonForm
          key={`${acting.endpoint.ean}-${acting.action}`}
          title={`${acting.action === 'pause' ? t('pauseTitle') : t('resumeTitle')} ${acting.endpoint.name} (${acting.endpoint.ean})`}
          submitLabel={(acting.action === 'pause' ? t('pause') : t('resume')).replace('…', '')}
          onCancel={() => setActing(null)}
          onSubmit={async (reason) => {
            await api.post(`/api/v1/ops/endpoints/${acting.endpoint.ean}/${acting.action}`, { reason });
            setActing(null);
            reload();
          }}
        />
      ) : null}
    </section>
  );
}
