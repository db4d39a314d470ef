import { useState } from 'preact/hooks';
import type { OpsMessageDetail } from '../../../src/app/ops-message-detail.js';
import { api } from '../api.js';
import { Empty, ReasonForm, Show, useLoad } from '../components.js';
import { when } from '../format.js';
import { t } from '../i18n.js';
import { href } from '../router.js';
import { Ean, useEndpointNames } from '../endpoint-names.js';

/** What the body route answers: the decoded text and the original bytes' encoding (or plain text). */
type BodyAnswer = string | { readonly text?: string; readonly body?: string; readonly encoding?: string; readonly contentType?: string };

function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([name, value]) => `${name}: ${typeof value === 'object' ? JSON.stringify(value) : String(value as string | number | boolean)}`)
    .join(' · ');
}

function BodyPanel({ id, pruned }: { id: string; pruned: boolean }) {
  const [asking, setAsking] = useState(false);
  const [body, setBody] = useState<{ text: string; encoding?: string } | null>(null);
  if (pruned) return null;
  if (body) {
    return (
      <div class="body-view">
        {body.encoding ? (
          <p class="muted">
            {t('encoding')}: {body.encoding}
          </p>
        ) : null}
        <pre id="message-body" tabIndex={0}>{body.text}</pre>
      </div>
    );
  }
  if (!asking) {
    return (
      <button type="button" id="show-body" onClick={() => setAsking(true)}>
        {t('showBody')}
      </button>
    );
  }
  return (
    <ReasonForm
      title={t('bodyReasonTitle')}
      submitLabel={t('readBody')}
      onCancel={() => setAsking(false)}
      onSubmit={async (reason) => {
        const answer = await api.get<BodyAnswer>(`/api/v1/ops/messages/${id}/body`, { reason });
        if (typeof answer === 'string') setBody({ text: answer });
        else setBody({ text: answer.text ?? answer.body ?? JSON.stringify(answer, null, 2), ...(answer.encoding ? { encoding: answer.encoding } : {}) });
      }}
    />
  );
}

function RedeliverPanel({ message, onDone }: { message: OpsMessageDetail; onDone: () => void }) {
  const receivers = [...new Set(message.deliveries.map((d) => d.receiver))];
  const [asking, setAsking] = useState(false);
  const [receiver, setReceiver] = useState(receivers[0] ?? '');
  const [done, setDone] = useState(false);
  if (receivers.length === 0) return null;
  if (!asking) {
    return (
      <>
        {done ? <p class="notice" role="status">{t('redeliverDone')}</p> : null}
        <button type="button" id="redeliver" onClick={() => setAsking(true)}>
          {t('redeliver')}
        </button>
      </>
    );
  }
  return (
    <ReasonForm
      title={t('redeliverTitle')}
      submitLabel={t('redeliver').replace('…', '')}
      onCancel={() => setAsking(false)}
      onSubmit={async (reason) => {
        await api.post(`/api/v1/ops/messages/${message.id}/redeliver`, { receiver, reason });
        setAsking(false);
        setDone(true);
        onDone();
      }}
    >
      <label for="redeliver-receiver">{t('chooseReceiver')}</label>
      <select id="redeliver-receiver" value={receiver} onChange={(e) => setReceiver(e.currentTarget.value)}>
        {receivers.map((ean) => (
          <option key={ean} value={ean}>
            {ean}
          </option>
        ))}
      </select>
    </ReasonForm>
  );
}

export function MessageView({ id }: { id: string }) {
  const names = useEndpointNames();
  const [loaded, reload] = useLoad(() => api.get<OpsMessageDetail>(`/api/v1/ops/messages/${encodeURIComponent(id)}`), [id]);
  return (
    <section aria-labelledby="message-title">
      <p>
        <a href={href('/search')}>← {t('navSearch')}</a>
      </p>
      <Show loaded={loaded}>
        {(message) => (
          <>
            <h1 id="message-title">
              {t('messageTitle')} <span class="mono">{message.envelopeId}</span> <span class={`state ${message.status}`}>{message.status}</span>
            </h1>
            <dl class="facts">
              <dt>{t('messageId')}</dt>
              <dd class="mono">{message.id}</dd>
              <dt>{t('sender')}</dt>
              <dd>
                <Ean ean={message.sender} names={names} />
              </dd>
              <dt>{t('receivedAt')}</dt>
              <dd>{when(message.receivedAt)}</dd>
              <dt>{t('letters')}</dt>
              <dd>{message.letters.map((l) => `${l.type} ${l.letterId}`).join(', ')}</dd>
              <dt>{t('encoding')}</dt>
              <dd>
                {message.encoding} ({message.contentType})
              </dd>
              <dt>{t('ackRequested')}</dt>
              <dd>{message.ackRequested ? t('yes') : t('no')}</dd>
              {message.bodyPrunedAt ? (
                <>
                  <dt>{t('bodyPruned')}</dt>
                  <dd>{when(message.bodyPrunedAt)}</dd>
                </>
              ) : null}
            </dl>
            <div class="actions">
              <BodyPanel id={message.id} pruned={message.bodyPrunedAt !== null} />
              <RedeliverPanel message={message} onDone={reload} />
            </div>

            <h2>{t('deliveries')}</h2>
            <div class="table-scroll">
              <table class="deliveries">
                <thead>
                  <tr>
                    <th scope="col">{t('delivery')}</th>
                    <th scope="col">{t('receiver')}</th>
                    <th scope="col">{t('role')}</th>
                    <th scope="col">{t('mode')}</th>
                    <th scope="col">{t('state')}</th>
                    <th scope="col" class="num">{t('offers')}</th>
                    <th scope="col">{t('deliveredAt')}</th>
                    <th scope="col">{t('receiptDue')}</th>
                    <th scope="col">{t('receipt')}</th>
                    <th scope="col">{t('redeliveryOf')}</th>
                  </tr>
                </thead>
                <tbody>
                  {message.deliveries.map((d) => {
                    const parent = d.redeliveryOf;
                    return (
                      <tr key={d.id} id={`delivery-${d.id}`}>
                        <td class="mono small">{d.id.slice(0, 8)}</td>
                        <td>
                          <Ean ean={d.receiver} names={names} />
                        </td>
                        <td>{d.role}</td>
                        <td>{d.mode}</td>
                        <td>
                          <span class={`state ${d.state}`}>{d.state}</span>
                        </td>
                        <td class="num">{d.offers}</td>
                        <td>{when(d.deliveredAt)}</td>
                        <td>{when(d.receiptDueAt)}</td>
                        <td>{d.receipt ? `${d.receipt.kind}${d.receipt.refuseCode ? ` (${d.receipt.refuseCode})` : ''}` : '—'}</td>
                        <td class="mono small lineage">{parent ? `↳ ${parent.slice(0, 8)}` : '—'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>

            <h2>{t('receipts')}</h2>
            <Empty when={message.receipts.length === 0}>
              <ul>
                {message.receipts.map((r) => (
                  <li key={`${r.deliveryId}-${r.kind}`}>
                    <span class="mono">{r.receiver}</span>: {r.kind}
                    {r.refuseCode ? ` (${r.refuseCode})` : ''} {when(r.receivedAt)}
                    {r.messageId ? (
                      <>
                        {' '}
                        <a href={href(`/message/${r.messageId}`)}>{t('messageTitle')}</a>
                      </>
                    ) : null}
                  </li>
                ))}
              </ul>
            </Empty>

            <h2>{t('deadlines')}</h2>
            <Empty when={message.deadlines.length === 0}>
              <div class="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('rule')}</th>
                      <th scope="col">{t('state')}</th>
                      <th scope="col">{t('obliged')}</th>
                      <th scope="col">{t('due')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {message.deadlines.map((d) => (
                      <tr key={d.id}>
                        <td>
                          {d.ruleId} {d.title}
                        </td>
                        <td>
                          <span class={`state ${d.state}`}>{d.state}</span>
                        </td>
                        <td class="mono">{d.obliged}</td>
                        <td>{when(d.dueAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Empty>

            {message.duplicates.resendOf.length + message.duplicates.resentBy.length > 0 ? (
              <>
                <h2>{t('duplicatesTitle')}</h2>
                <ul>
                  {message.duplicates.resendOf.map((d) => (
                    <li key={`of-${d.letterId}`}>
                      {t('resendOf')} <a href={href(`/message/${d.messageId}`)}>{d.letterId}</a>
                    </li>
                  ))}
                  {message.duplicates.resentBy.map((d) => (
                    <li key={`by-${d.messageId}`}>
                      {t('resentBy')} <a href={href(`/message/${d.messageId}`)}>{d.envelopeId}</a> ({when(d.receivedAt)})
                    </li>
                  ))}
                </ul>
              </>
            ) : null}

            <h2>{t('timeline')}</h2>
            <ol class="timeline" id="timeline">
              {message.timeline.map((entry, index) => (
                <li key={index} class={entry.source}>
                  <time dateTime={entry.at}>{when(entry.at)}</time>
                  <span class="kind">{entry.kind}</span>
                  <span class="mono small">{entry.deliveryId ? entry.deliveryId.slice(0, 8) : ''}</span>
                  <span class="detail">{detailText(entry.detail)}</span>
                </li>
              ))}
            </ol>
          </>
        )}
      </Show>
    </section>
  );
}
