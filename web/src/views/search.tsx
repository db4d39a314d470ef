import { useState } from 'preact/hooks';
import type { MessageSearchPage } from '../../../src/app/ops-search.js';
import { api } from '../api.js';
import { Show, useLoad } from '../components.js';
import { formText, isoFromLocalInput, when } from '../format.js';
import { t, type Label } from '../i18n.js';
import { href, navigate } from '../router.js';
import { Ean, useEndpointNames } from '../endpoint-names.js';

const STATUSES = ['waiting', 'leased', 'delivered', 'acknowledged', 'rejected', 'unacknowledged', 'dead', 'duplicate'];
const TEXT_FILTERS: readonly (readonly [string, Label, string?])[] = [
  ['cpr', 'cpr', 'DDMMYY-NNNN'],
  ['envelopeId', 'envelopeId'],
  ['letterId', 'letterId'],
  ['id', 'messageId'],
  ['sender', 'sender'],
  ['receiver', 'receiver'],
  ['type', 'type', 'XDIS17'],
];
/** The filters kept in the address: all but the CPR number. */
const FILTER_NAMES = [...TEXT_FILTERS.map(([name]) => name).filter((name) => name !== 'cpr'), 'status', 'from', 'to'];

/**
 * The filters live in the URL (so Back works), except the CPR number: it is searched for but never put
 * in the address bar or the browser history.
 */
export function SearchView({ params }: { params: URLSearchParams }) {
  const names = useEndpointNames();
  const [cpr, setCpr] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const [searched, setSearched] = useState(0);
  const filters: Record<string, string> = {};
  for (const name of FILTER_NAMES) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  const cursor = cursors.at(-1);
  const [loaded] = useLoad(
    () =>
      api.get<MessageSearchPage>('/api/v1/ops/messages', {
        ...filters,
        cpr,
        from: isoFromLocalInput(filters.from ?? ''),
        to: isoFromLocalInput(filters.to ?? ''),
        cursor,
        limit: 50,
      }),
    [params.toString(), cursor, searched],
  );
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const next: Record<string, string | undefined> = {};
    for (const name of FILTER_NAMES) {
      const value = formText(form, name);
      if (value) next[name] = value;
    }
    setCpr(formText(form, 'cpr'));
    setCursors([]);
    setSearched((n) => n + 1);
    navigate('/search', next);
  };
  const clear = () => {
    setCpr('');
    setCursors([]);
    navigate('/search');
  };
  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">{t('searchTitle')}</h1>
      <form class="filters" onSubmit={submit} key={params.toString()}>
        {TEXT_FILTERS.map(([name, label, placeholder]) => (
          <div class="field" key={name}>
            <label for={`search-${name}`}>{t(label)}</label>
            <input
              id={`search-${name}`}
              name={name}
              type="text"
              autoComplete="off"
              spellcheck={false}
              placeholder={placeholder}
              defaultValue={name === 'cpr' ? cpr : filters[name] ?? ''}
            />
          </div>
        ))}
        <div class="field">
          <label for="search-status">{t('status')}</label>
          <select id="search-status" name="status" defaultValue={filters.status ?? ''}>
            <option value="">{t('any')}</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="search-from">{t('from')}</label>
          <input id="search-from" name="from" type="datetime-local" defaultValue={filters.from ?? ''} />
        </div>
        <div class="field">
          <label for="search-to">{t('to')}</label>
          <input id="search-to" name="to" type="datetime-local" defaultValue={filters.to ?? ''} />
        </div>
        <div class="actions">
          <button type="submit" id="search-submit">{t('search')}</button>
          <button type="button" class="secondary" onClick={clear}>
            {t('clear')}
          </button>
        </div>
      </form>
      <Show loaded={loaded}>
        {(page) =>
          page.items.length === 0 ? (
            <p class="muted">{t('noHits')}</p>
          ) : (
            <>
              <div class="table-scroll">
                <table class="results">
                  <thead>
                    <tr>
                      <th scope="col">{t('receivedAt')}</th>
                      <th scope="col">{t('envelopeId')}</th>
                      <th scope="col">{t('letters')}</th>
                      <th scope="col">{t('sender')}</th>
                      <th scope="col">{t('receivers')}</th>
                      <th scope="col">{t('status')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((item) => (
                      <tr key={item.id}>
                        <td>
                          <a href={href(`/message/${item.id}`)}>{when(item.receivedAt)}</a>
                        </td>
                        <td class="mono">{item.envelopeId}</td>
                        <td>{item.letters.map((letter) => `${letter.type} ${letter.letterId}`).join(', ')}</td>
                        <td>
                          <Ean ean={item.sender} names={names} />
                        </td>
                        <td>
                          {item.deliveries.map((d) => (
                            <span key={`${d.receiver}-${d.role}`} class="pair">
                              <span class="mono">{d.receiver}</span> <span class={`state ${d.state}`}>{d.state}</span>
                            </span>
                          ))}
                        </td>
                        <td>
                          <span class={`state ${item.status}`}>{item.status}</span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div class="actions">
                {cursors.length > 0 ? (
                  <button type="button" class="secondary" onClick={() => setCursors([])}>
                    {t('firstPage')}
                  </button>
                ) : null}
                {page.nextCursor ? (
                  <button type="button" id="search-next" onClick={() => setCursors((list) => [...list, page.nextCursor as string])}>
                    {t('nextPage')}
                  </button>
                ) : null}
              </div>
            </>
          )
        }
      </Show>
    </section>
  );
}
