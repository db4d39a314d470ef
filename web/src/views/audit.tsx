import { useState } from 'preact/hooks';
import type { AuditPage } from '../../../src/app/ops-audit.js';
import { api, withQuery } from '../api.js';
import { Show, useLoad } from '../components.js';
import { formText, isoFromLocalInput, when } from '../format.js';
import { t } from '../i18n.js';
import { href, navigate } from '../router.js';

export function AuditView({ params }: { params: URLSearchParams }) {
  const filters = {
    from: isoFromLocalInput(params.get('from') ?? ''),
    to: isoFromLocalInput(params.get('to') ?? ''),
    operator: params.get('operator') ?? undefined,
  };
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const [loaded] = useLoad(() => api.get<AuditPage>('/api/v1/ops/audit', { ...filters, cursor, limit: 100 }), [params.toString(), cursor]);
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setCursors([]);
    navigate('/audit', {
      from: formText(form, 'from') || undefined,
      to: formText(form, 'to') || undefined,
      operator: formText(form, 'operator') || undefined,
    });
  };
  return (
    <section aria-labelledby="audit-title">
      <div class="title-row">
        <h1 id="audit-title">{t('auditTitle')}</h1>
        <a class="button secondary" id="audit-csv" href={withQuery('/api/v1/ops/audit', { ...filters, format: 'csv' })} download="audit-log.csv">
          {t('exportCsv')}
        </a>
      </div>
      <form class="filters" onSubmit={submit} key={params.toString()}>
        <div class="field">
          <label for="audit-from">{t('from')}</label>
          <input id="audit-from" name="from" type="datetime-local" defaultValue={params.get('from') ?? ''} />
        </div>
        <div class="field">
          <label for="audit-to">{t('to')}</label>
          <input id="audit-to" name="to" type="datetime-local" defaultValue={params.get('to') ?? ''} />
        </div>
        <div class="field">
          <label for="audit-operator">{t('operator')}</label>
          <input id="audit-operator" name="operator" type="text" defaultValue={params.get('operator') ?? ''} />
        </div>
        <div class="actions">
          <button type="submit">{t('search')}</button>
        </div>
      </form>
      <Show loaded={loaded}>
        {(page) =>
          page.items.length === 0 ? (
            <p class="muted">{t('none')}</p>
          ) : (
            <>
              <div class="table-scroll">
                <table id="audit-log">
                  <thead>
                    <tr>
                      <th scope="col">{t('at')}</th>
                      <th scope="col">{t('operator')}</th>
                      <th scope="col">{t('action')}</th>
                      <th scope="col">{t('messageTitle')}</th>
                      <th scope="col">{t('patientRef')}</th>
                      <th scope="col">{t('reason')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((item) => (
                      <tr key={item.id}>
                        <td>{when(item.at)}</td>
                        <td>{item.operator}</td>
                        <td>{item.action}</td>
                        <td>{item.messageId ? <a href={href(`/message/${item.messageId}`)} class="mono small">{item.messageId.slice(0, 8)}</a> : '—'}</td>
                        <td class="mono small">{item.patientRef ? `${item.patientRef.slice(0, 12)}…` : '—'}</td>
                        <td>{item.reason ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {page.nextCursor ? (
                <div class="actions">
                  <button type="button" class="secondary" onClick={() => setCursors((list) => [...list, page.nextCursor as string])}>
                    {t('nextPage')}
                  </button>
                </div>
              ) : null}
            </>
          )
        }
      </Show>
    </section>
  );
}
