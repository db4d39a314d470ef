/**
 * The long-poll's waiter: the pipeline's inbox notifier once it runs. Before that (Redis not reached
 * yet) a request waits a moment and leases again, so a client's long-poll loop does not spin.
 */
import type { InboxWaiter } from '../http/plugins/gateway.js';
import type { RunningPipeline } from '../pipeline/pipeline.js';

export function pipelineInboxWaiter(pipeline: () => RunningPipeline | undefined): InboxWaiter {
  return {
    inboxVersion: (ean) => pipeline()?.notifier.inboxVersion(ean) ?? 0,
    waitForInbox: (ean, timeoutMs, signal, sinceVersion) => {
      const running = pipeline();
      if (running) return running.waitForInbox(ean, timeoutMs, signal, sinceVersion);
      return new Promise((resolve) => setTimeout(() => resolve('timeout'), Math.min(timeoutMs, 1000)));
    },
  };
}
