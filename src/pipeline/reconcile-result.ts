/** What one reconciliation pass found. */
export interface ReconcileResult {
  /** Pending outbox rows looked at. */
  readonly checked: number;
  /** Rows whose job was missing (or finished while the row is still pending) and was made again. */
  readonly recreated: number;
}
