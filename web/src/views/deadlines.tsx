import type { DeadlinePage, DeadlineView } from '../../../src/app/deadline-view.js';
import type { ComplianceReport } from '../../../src/domain/deadlines/compliance.js';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Empty, Show, useLoad } from '../components.js';
import { count, percent, when } from '../format.js';
import { t } from '../i18n.js';
import { href } from '../router.js';
import { Ean, useEndpointNames } from '../endpoint-names.js';
import { WarningForm } from './warning-form.js';

interface Group {
  readonly ruleId: string;
  readonly title: string;
  readonly obliged: string;
  readonly items: DeadlineView[];
}

/** Deadlines grouped by rule and obliged endpoint, the groups with the earliest due first. */
function grouped(items: readonly DeadlineView[]): Group[] {
  const groups = new Map<string, Group>();
  for (const item of items) {
    const key = `${item.ruleId} ${item.obliged}`;
    const group = groups.get(key) ?? { ruleId: item.ruleId, title: item.title, obliged: item.obliged, items: [] };
    group.items.push(item);
    groups.set(key, group);
  }
  const firstDue = (group: Group) => Math.min(...group.items.map((i) => (i.dueAt ? new Date(i.dueAt).getTime() : Infinity)));
  return [...groups.values()].sort((a, b) => firstDue(a) - firstDue(b) || a.ruleId.localeCompare(b.ruleId));
}

function GroupTable({ id, items, dueLabel }: { id: string; items: readonly DeadlineView[]; dueLabel: 'nextDue' | 'breached' }) {
  const groups = grouped(items);
  const names = useEndpointNames();
  return (
    <Empty when={groups.length === 0}>
      <div class="table-scroll">
        <table id={id}>
          <thead>
            <tr>
              <th scope="col">{t('rule')}</th>
              <th scope="col">{t('obliged')}</th>
              <th scope="col" class="num">{t('count')}</th>
              <th scope="col">{t(dueLabel)}</th>
              <th scope="col">{t('messageTitle')}</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((group) => {
              const first = [...group.items].sort((a, b) => (a.dueAt ?? '').localeCompare(b.dueAt ?? ''))[0];
              return (
                <tr key={`${group.ruleId}-${group.obliged}`}>
                  <th scope="row">
                    {group.ruleId} <span class="muted">{group.title}</span>
                  </th>
                  <td>
                    <Ean ean={group.obliged} names={names} />
                  </td>
                  <td class="num">{count(group.items.length)}</td>
                  <td>{when(dueLabel === 'breached' ? (first?.breachedAt ?? first?.dueAt) : first?.dueAt)}</td>
                  <td>{first?.messageId ? <a href={href(`/message/${first.messageId}`)}>{first.letterType} {first.letterId}</a> : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </Empty>
  );
}

export function DeadlinesView() {
  const names = useEndpointNames();
  const [upcoming, reloadUpcoming] = useLoad(() => api.get<DeadlinePage>('/api/v1/ops/deadlines', { state: 'pending', limit: 500 }), []);
  const [breached, reloadBreached] = useLoad(() => api.get<DeadlinePage>('/api/v1/ops/deadlines', { state: 'breached', limit: 500 }), []);
  const [report, reloadReport] = useLoad(() => api.get<ComplianceReport>('/api/v1/ops/deadlines/report'), []);
  const [recorded, setRecorded] = useState(false);
  const onRecorded = () => {
    setRecorded(true);
    reloadUpcoming();
    reloadBreached();
    reloadReport();
  };
  return (
    <section aria-labelledby="deadlines-title">
      <h1 id="deadlines-title">{t('deadlinesTitle')}</h1>
      <h2>
        {t('upcoming')} <span class="muted">{t('byRuleAndEndpoint')}</span>
      </h2>
      <Show loaded={upcoming}>{(page) => <GroupTable id="deadlines-upcoming" items={page.items} dueLabel="nextDue" />}</Show>
      <h2>
        {t('breached')} <span class="muted">{t('byRuleAndEndpoint')}</span>
      </h2>
      <Show loaded={breached}>{(page) => <GroupTable id="deadlines-breached" items={page.items} dueLabel="breached" />}</Show>
      <div class="title-row">
        <h2>{t('compliance')}</h2>
        <a class="button secondary" id="compliance-csv" href="/api/v1/ops/deadlines/report?format=csv" download="deadline-compliance.csv">
          {t('exportCsv')}
        </a>
      </div>
      <Show loaded={report}>
        {(data) => (
          <Empty when={data.lines.length === 0}>
            <div class="table-scroll">
              <table id="compliance">
                <thead>
                  <tr>
                    <th scope="col">{t('obliged')}</th>
                    <th scope="col">{t('rule')}</th>
                    <th scope="col" class="num">{t('total')}</th>
                    <th scope="col" class="num">{t('onTime')}</th>
                    <th scope="col" class="num">{t('late')}</th>
                    <th scope="col" class="num">{t('breached')}</th>
                    <th scope="col" class="num">{t('pending')}</th>
                    <th scope="col" class="num">{t('shareOnTime')}</th>
                    <th scope="col" class="num">{t('medianLate')}</th>
                    <th scope="col" class="num">{t('outsideMedcom')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.lines.map((line) => (
                    <tr key={`${line.obligedEan}-${line.ruleId}`}>
                      <td>
                        <Ean ean={line.obligedEan} names={names} />
                      </td>
                      <td>
                        {line.ruleId} <span class="muted">{line.title}</span>
                      </td>
                      <td class="num">{count(line.total)}</td>
                      <td class="num">{count(line.onTime)}</td>
                      <td class="num">{count(line.late)}</td>
                      <td class="num">{count(line.breached)}</td>
                      <td class="num">{count(line.pending)}</td>
                      <td class="num">{percent(line.shareOnTime)}</td>
                      <td class="num">{line.medianLatenessHours ?? '—'}</td>
                      <td class="num">{count(line.byFallback)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Empty>
        )}
      </Show>
      {recorded ? (
        <p class="notice" role="status">
          {t('recorded')}
        </p>
      ) : null}
      <WarningForm deadlines={[...(upcoming.state === 'ready' ? upcoming.data.items : []), ...(breached.state === 'ready' ? breached.data.items : [])]} onRecorded={onRecorded} />
    </section>
  );
}
