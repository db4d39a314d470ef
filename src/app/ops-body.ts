/**
 * `GET /api/v1/ops/messages/{id}/body?reason=…`: an operator reads a message's content. It is health
 * data, so the read needs a stated reason and is written to the audit log (who, when, which message,
 * the patient reference, why) in the same transaction that reads the bytes: no read without its row.
 * The text is decoded from the encoding the sender used (æ, ø and å intact) and that encoding is named.
 */
import { decodeText } from '../codec/decode-text.js';
import { getMessage, getMessageBody } from '../store/message-store.js';
import { patientRefsOf } from '../store/ops-queries.js';
import type { GatewayContext } from './context.js';
import { recordAudit } from './ops-audit.js';
import { requireReason, type Operator } from './ops-input.js';
import { bodyPruned, Refusal } from './refusal.js';
import { isUuid } from '../domain/uuid.js';

export interface OpsMessageBody {
  readonly messageId: string;
  /** The message as text (decoded; the original bytes are unchanged in the store). */
  readonly text: string;
  /** The encoding of the original bytes: utf-8, iso-8859-1 or windows-1252. */
  readonly encoding: string;
  /** The Content-Type the sender posted with. */
  readonly contentType: string;
  readonly sha256: string;
  /** The audit row this read was written to. */
  readonly auditId: number;
}

function charsetOf(contentType: string): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)?.[1];
}

export async function readMessageBody(ctx: GatewayContext, operator: Operator, id: string, reason: unknown): Promise<OpsMessageBody> {
  const notFound = new Refusal(404, 'not-found', 'Not found', `there is no message ${id}`);
  if (!isUuid(id)) throw notFound;
  // The reason is checked before anything is read, so a refused request leaves no trace.
  const why = requireReason(reason, '/querystring/reason');
  return ctx.db.transaction(async (tx) => {
    const message = await getMessage(tx, id);
    if (!message) throw notFound;
    const body = await getMessageBody(tx, id);
    if (!body) throw bodyPruned(id, message.bodyPrunedAt);
    const decoded = decodeText(body, charsetOf(message.contentType));
    // The bytes were accepted, so they decode; should they not, the stored encoding is applied rather than failing the read.
    const text = decoded.ok ? decoded.text : new TextDecoder(message.encoding === 'utf-8' ? 'utf-8' : 'windows-1252').decode(body);
    const patientRefs = await patientRefsOf(tx, id);
    const auditId = await recordAudit(
      tx,
      operator,
      {
        action: 'body-read',
        messageId: id,
        patientRef: patientRefs[0] ?? null,
        reason: why,
        details: patientRefs.length > 1 ? { patientRefs } : {},
      },
      ctx.clock(),
    );
    return {
      messageId: id,
      text,
      encoding: decoded.ok ? decoded.encoding : message.encoding,
      contentType: message.contentType,
      sha256: message.sha256,
      auditId,
    };
  });
}
