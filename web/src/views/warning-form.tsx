/**
 * "Warned by phone/fax": records a warning given outside MedCom through the deadlines' own fulfilment
 * route (`POST /api/v1/deadlines/{id}/fulfil` with a `channel`). Shown only when the gateway's OpenAPI
 * description says that route takes a channel; the channels offered are the ones it lists.
 */
import { useState } from 'preact/hooks';
import type { DeadlineView } from '../../../src/app/deadline-view.js';
import { api } from '../api.js';
import { ErrorText, useLoad } from '../components.js';
import { formText, isoFromLocalInput, when } from '../format.js';
import { t } from '../i18n.js';

interface OpenApiDocument {
  readonly paths?: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, { enum?: string[]; anyOf?: { const?: string; enum?: string[] }[] }> } }> } } }>;
}

/** The channels the fulfilment route accepts, or none when it takes no channel. */
async function fulfilmentChannels(): Promise<string[]> {
  const document = await api.get<OpenApiDocument>('/docs/json');
  const schema = document.paths?.['/api/v1/deadlines/{id}/fulfil']?.post?.requestBody?.content?.['application/json']?.schema;
  const channel = schema?.properties?.channel;
  if (!channel) return [];
  return channel.enum ?? channel.anyOf?.flatMap((option) => option.enum ?? (option.const ? [option.const] : [])) ?? [];
}

export function WarningForm({ deadlines }: { deadlines: readonly DeadlineView[] }) {
  const [channels] = useLoad(() => fulfilmentChannels().catch(() => []), []);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const open = deadlines.filter((d) => d.fulfilledBy.kind === 'explicit' && (d.state === 'pending' || d.state === 'breached'));
  if (channels.state !== 'ready' || channels.data.length === 0 || open.length === 0) return null;
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setError(null);
    setDone(false);
    try {
      const at = isoFromLocalInput(formText(form, 'at'));
      const note = formText(form, 'note');
      await api.post(`/api/v1/deadlines/${formText(form, 'deadline')}/fulfil`, { channel: formText(form, 'channel'), ...(at ? { at } : {}), ...(note ? { note } : {}) });
      setDone(true);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  return (
    <form class="warning-form" onSubmit={(event) => void submit(event)}>
      <fieldset>
        <legend>{t('warnedOutside')}</legend>
        <label for="warning-deadline">{t('deadlineId')}</label>
        <select id="warning-deadline" name="deadline" required>
          {open.map((d) => (
            <option key={d.id} value={d.id}>
              {d.ruleId} · {d.letterType} {d.letterId} · {d.obliged} · {when(d.dueAt)}
            </option>
          ))}
        </select>
        <label for="warning-channel">{t('channel')}</label>
        <select id="warning-channel" name="channel" required>
          {channels.data.map((channel) => (
            <option key={channel} value={channel}>
              {channel}
            </option>
          ))}
        </select>
        <label for="warning-at">{t('at')}</label>
        <input id="warning-at" name="at" type="datetime-local" />
        <label for="warning-note">{t('note')}</label>
        <textarea id="warning-note" name="note" rows={2} />
        <ErrorText error={error} />
        {done ? <p class="notice" role="status">{t('recorded')}</p> : null}
        <div class="actions">
          <button type="submit">{t('record')}</button>
        </div>
      </fieldset>
    </form>
  );
}
