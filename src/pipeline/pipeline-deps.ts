/**
 * What the pipeline needs from the rest of the gateway: the gateway context without its signals
 * (the pipeline makes those) and a logger.
 */
import type { GatewayContext } from '../app/context.js';
import type { Logger } from '../logging.js';

export interface PipelineDeps extends Omit<GatewayContext, 'signals'> {
  /** Defaults to the gateway's JSON logger at `settings.logLevel`. */
  readonly logger?: Logger;
}
