/**
 * A message's overall status, derived from the states of its deliveries (one per receiver, copies
 * included), so it follows the message to the end instead of staying "accepted" after every receiver
 * answered. Trouble outranks progress: one dead-lettered or unacknowledged copy is what ops must see.
 */

/** The states a delivery goes through (see the deliveries table). */
export type DeliveryStateName = 'waiting' | 'leased' | 'delivered' | 'acknowledged' | 'rejected' | 'unacknowledged' | 'dead';

export type OverallStatus =
  | 'duplicate'
  | 'accepted'
  | 'partly-delivered'
  | 'delivered'
  | 'partly-acknowledged'
  | 'acknowledged'
  | 'rejected'
  | 'partly-rejected'
  | 'unacknowledged'
  | 'dead-lettered'
  | 'partly-dead-lettered';

export const OVERALL_STATUSES: readonly OverallStatus[] = [
  'duplicate',
  'accepted',
  'partly-delivered',
  'delivered',
  'partly-acknowledged',
  'acknowledged',
  'rejected',
  'partly-rejected',
  'unacknowledged',
  'dead-lettered',
  'partly-dead-lettered',
];

/**
 * `stored` is the message row's own status ('accepted' or 'duplicate'); a resend whose every letter was
 * seen before has no deliveries of its own and stays 'duplicate'.
 */
export function overallStatus(stored: string, deliveryStates: readonly DeliveryStateName[]): OverallStatus {
  if (deliveryStates.length === 0) return stored === 'duplicate' ? 'duplicate' : 'accepted';
  const count = (...states: DeliveryStateName[]): number => deliveryStates.filter((s) => states.includes(s)).length;
  const all = deliveryStates.length;
  const dead = count('dead');
  if (dead > 0) return dead === all ? 'dead-lettered' : 'partly-dead-lettered';
  if (count('unacknowledged') > 0) return 'unacknowledged';
  const acknowledged = count('acknowledged');
  const rejected = count('rejected');
  if (rejected > 0) return rejected === all ? 'rejected' : 'partly-rejected';
  if (acknowledged === all) return 'acknowledged';
  if (acknowledged > 0) return 'partly-acknowledged';
  const delivered = count('delivered');
  if (delivered === all) return 'delivered';
  return delivered > 0 ? 'partly-delivered' : 'accepted';
}
