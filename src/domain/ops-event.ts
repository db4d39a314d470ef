/**
 * What the ops page hears live (`GET /api/v1/ops/events`): that something changed, with identifiers,
 * EANs and message types only, never patient data, so an event may travel through Redis and a browser
 * without care. The page fetches whatever detail it shows through the API, which audits body reads.
 */
export type OpsEventType = 'message-accepted' | 'delivered' | 'acknowledged' | 'rejected' | 'dead-lettered' | 'deadline-breached' | 'alert-raised';

export const OPS_EVENT_TYPES: readonly OpsEventType[] = ['message-accepted', 'delivered', 'acknowledged', 'rejected', 'dead-lettered', 'deadline-breached', 'alert-raised'];

export interface OpsEventData {
  readonly messageId?: string;
  readonly deliveryId?: string;
  readonly sender?: string;
  readonly receiver?: string;
  readonly receivers?: readonly string[];
  readonly messageTypes?: readonly string[];
  readonly mode?: 'pull' | 'push';
  readonly deadlineId?: string;
  readonly rule?: string;
  /** The endpoint a deadline obliges to act. */
  readonly obligedEan?: string;
  readonly alertId?: number;
  readonly subject?: string;
}

export interface OpsEvent {
  readonly type: OpsEventType;
  readonly at: string;
  readonly data: OpsEventData;
}

/** An event as a stream sends it: with an id unique across processes. */
export type OpsEventMessage = OpsEvent & { readonly id: string };

/** Where the event stream route hears events of every process. */
export interface OpsEventSource {
  /** Hears every event from now on; call the returned function to stop. */
  subscribe(listener: (event: OpsEventMessage) => void): () => void;
}
