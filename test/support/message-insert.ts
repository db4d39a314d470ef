/**
 * A MessageInsert as the accept path would hand the store, without a codec or a plan: for tests of
 * the one-statement insert itself (group commit, patient versions).
 */
import { randomUUID } from 'node:crypto';
import type { MessageInsert } from '../../src/store/message-store.js';
import { HOSPITAL, MUNICIPALITY } from './gateway.js';

/** One letter of `type` from HOSPITAL to MUNICIPALITY, about `patientRef` when given; new letters only. */
export function messageInsert(envelopeId: string, options: { letterId?: string; type?: string; patientRef?: string } = {}): MessageInsert {
  const id = randomUUID();
  const patientRef = options.patientRef ?? null;
  return {
    message: {
      id,
      senderEan: HOSPITAL,
      envelopeId,
      sha256: 'x'.repeat(64),
      contentType: 'application/xml',
      body: Buffer.from(`<Emessage>${envelopeId}</Emessage>`),
      encoding: 'utf-8',
      generation: '2005/08/07',
      ackRequested: false,
      origin: 'endpoint',
      status: 'accepted',
      summary: { generation: '2005/08/07', acknowledgementCode: 'minuspositivkvitt', sent: { date: '2026-11-23', time: '10:00' }, letters: [], warnings: [] },
    },
    letters: [{ letterIndex: 0, letterId: options.letterId ?? `L${envelopeId}`, type: options.type ?? 'XDIS20', versionCode: 'XD2030C', patientRef, duplicateOf: null }],
    deliveries: [{ id: randomUUID(), letterIndexes: [0], receiverEan: MUNICIPALITY, role: 'receiver', mode: 'pull', patientRefs: patientRef ? [patientRef] : [] }],
    events: [{ messageId: id, kind: 'accepted' }],
    onlyIfLettersAreNew: true,
  };
}
