import { useState } from 'preact/hooks';
import type { DeadLetterItem, RetryResult } from '../../../src/app/ops-dead-letters.js';
import { api } from '../api.js';
import { ReasonForm, Show, useLoad } from '../components.js';
import { when } from '../format.js';
import { t } from '../i18n.js';
import { href } from '../router.js';
import { Ean, useEndpointNames } from '../endpoint-names.js';

export function DeadLettersView() {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const [loaded, reload] = useLoad(() => api.get<{ items: DeadLetterItem[]; nextCursor?: string }>('/api/v1/ops/dead-letters', { cursor, limit: 100 }), [cursor]);
  const names = useEndpointNames();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [retrying, setRetrying] = useState<'selected' | 'all' | null>(null);
  const [result, setResult] = useState<number | null>(null);
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <section aria-labelledby="dead-title">
      <h1 id="dead-title">{t('deadLettersTitle')}</h1>
      {result !== null ? (
        <p class="notice" role="status">
          {t('requeued')}: {result}
        </p>
      ) : null}
      <Show loaded={loaded}>
        {(page) =>
          page.items.length === 0 ? (
            <p class="muted">{t('none')}</p>
          ) : (
            <>
              <div class="table-scroll">
                <table id="dead-letters">
                  <thead>
                    <tr>
                      <th scope="col">
                        <input
                          type="checkbox"
                          aria-label={t('selectAll')}
                          checked={page.items.every((item) => selected.has(item.deliveryId))}
                          onChange={(e) => setSelected(e.currentTarget.checked ? new Set(page.items.map((item) => item.deliveryId)) : new Set())}
                        />
                      </th>
                      <th scope="col">{t('deadAt')}</th>
                      <th scope="col">{t('receiver')}</th>
                      <th scope="col">{t('type')}</th>
                      <th scope="col">{t('envelopeId')}</th>
                      <th scope="col" class="num">{t('pushAttempts')}</th>
                      <th scope="col">{t('lastError')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((item) => (
                      <tr key={item.deliveryId}>
                        <td>
                          <input
                            type="checkbox"
                            aria-label={`${t('select')} ${item.envelopeId} → ${item.receiver}`}
                            checked={selected.has(item.deliveryId)}
                            onChange={() => toggle(item.deliveryId)}
                          />
                        </td>
                        <td>{when(item.deadAt)}</td>
                        <td>
                          <Ean ean={item.receiver} names={names} />
                        </td>
                        <td>{item.types.join(', ')}</td>
                        <td>
                          <a href={href(`/message/${item.messageId}`)}>{item.envelopeId}</a>
                        </td>
                        <td class="num">{item.pushAttempts}</td>
                        <td class="small">{item.reason ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div class="actions">
                {page.nextCursor ? (
                  <button type="button" class="secondary" onClick={() => setCursors((list) => [...list, page.nextCursor as string])}>
                    {t('nextPage')}
                  </button>
                ) : null}
                <button type="button" disabled={selected.size === 0} onClick={() => setRetrying('selected')}>
                  {t('retrySelected')} ({selected.size})
                </button>
                <button type="button" class="secondary" onClick={() => setRetrying('all')}>
                  {t('retryAll')}
                </button>
              </div>
            </>
          )
        }
      </Show>
      {retrying ? (
        <ReasonForm
          title={retrying === 'all' ? t('retryAll') : `${t('retrySelected')} (${selected.size})`}
          submitLabel={t('retrySelected').split(' ')[0] ?? 'Retry'}
          onCancel={() => setRetrying(null)}
          onSubmit={async (reason) => {
            const answer = await api.post<RetryResult>(
              '/api/v1/ops/dead-letters/retry',
              retrying === 'all' ? { filter: {}, reason } : { ids: [...selected], reason },
            );
            setResult(answer.requeued.length);
            setRetrying(null);
            setSelected(new Set());
            setCursors([]);
            reload();
          }}
        />
      ) : null}
    </section>
  );
}
