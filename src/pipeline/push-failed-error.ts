/** Thrown by the push processor after a failed attempt was recorded, so BullMQ retries with backoff. */
export class PushFailedError extends Error {
  override readonly name = 'PushFailedError';

  constructor(
    readonly deliveryId: string,
    readonly attempt: number,
    readonly reason: string,
  ) {
    super(`push of delivery ${deliveryId} failed (attempt ${attempt}): ${reason}`);
  }
}
