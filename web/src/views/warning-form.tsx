/**
 * "Warned by phone/fax": records a warning given outside MedCom through the deadlines' own fulfilment
 * route (`POST /api/v1/deadlines/{id}/fulfil` with a `channel`). Offered for the open deadlines whose
 * rule allows a channel outside MedCom; the channels offered are the ones that rule allows. The note is
 * required: it is the reason the audit log keeps for the operator's action.
 */
import { useState } from 'preact/hooks';
import type { DeadlineView } from '../../../src/app/deadline-view.js';
import { api } from '../api.js';
import { ErrorText } from '../components.js';
import { formText, isoFromLocalInput, when } from '../format.js';
import { t } from '../i18n.js';

/** `onRecorded` reloads the lists: the deadline recorded leaves them, and with it this form may go. */
export function WarningForm({ deadlines, onRecorded }: { deadlines: readonly DeadlineView[]; onRecorded: () => void }) {
  const open = deadlines.filter((d) => d.fallbackChannels.length > 0 && (d.state === 'pending' || d.state === 'breached'));
  const [chosen, setChosen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const deadline = open.find((d) => d.id === chosen) ?? open[0];
  if (!deadline) return null;
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setError(null);
    try {
      const at = isoFromLocalInput(formText(form, 'at'));
      await api.post(`/api/v1/deadlines/${formText(form, 'deadline')}/fulfil`, { channel: formText(form, 'channel'), note: formText(form, 'note'), ...(at ? { at } : {}) });
      onRecorded();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  return (
    <form class="warning-form" onSubmit={(event) => void submit(event)}>
      <fieldset>
        <legend>{t('warnedOutside')}</legend>
        <label for="warning-deadline">{t('deadlineId')}</label>
        <select id="warning-deadline" name="deadline" required value={deadline.id} onChange={(event) => setChosen((event.currentTarget).value)}>
          {open.map((d) => (
            <option key={d.id} value={d.id}>
              {d.ruleId} · {d.letterType ?? '—'} {d.letterId ?? ''} · {d.obliged} · {when(d.dueAt)}
            </option>
          ))}
        </select>
        <label for="warning-channel">{t('channel')}</label>
        <select id="warning-channel" name="channel" required>
          {deadline.fallbackChannels.map((channel) => (
            <option key={channel} value={channel}>
              {channel}
            </option>
          ))}
        </select>
        <label for="warning-at">{t('at')}</label>
        <input id="warning-at" name="at" type="datetime-local" />
        <label for="warning-note">{t('noteReason')}</label>
        <textarea id="warning-note" name="note" rows={2} required minLength={10} />
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit">{t('record')}</button>
        </div>
      </fieldset>
    </form>
  );
}
