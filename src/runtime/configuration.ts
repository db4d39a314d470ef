/**
 * The configuration folder read at start: the endpoint register, retraining-plan routing, the
 * deadline rules and the API keys. A mistake in any of them stops the start with its file and reason.
 */
import { loadDeadlineConfig } from '../config/deadline-config.js';
import { loadEndpointRegister } from '../config/endpoints.js';
import type { EndpointRegister } from '../domain/endpoint.js';
import { KeyRing, loadStoredKeys } from '../config/keys.js';
import { loadRetrainingRouting } from '../config/retraining-routing.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../logging.js';

export interface GatewayConfiguration {
  readonly register: EndpointRegister;
  readonly retrainingRouting: ReturnType<typeof loadRetrainingRouting>;
  readonly deadlineRules: ReturnType<typeof loadDeadlineConfig>['deadlineRules'];
  readonly deadlineCorrelation: ReturnType<typeof loadDeadlineConfig>['deadlineCorrelation'];
  readonly keyRing: KeyRing;
}

export function loadConfiguration(settings: Settings, logger: Logger): GatewayConfiguration {
  const register = loadEndpointRegister(settings.configDir);
  const retrainingRouting = loadRetrainingRouting(settings.configDir, register);
  const { deadlineRules, deadlineCorrelation } = loadDeadlineConfig(settings.configDir);
  const keyRing = new KeyRing(loadStoredKeys(settings.configDir), register, settings.production);
  if (settings.production && register.demoKeys) logger.warn('endpoints.json asks for demo keys, which are refused because NODE_ENV=production');
  return { register, retrainingRouting, deadlineRules, deadlineCorrelation, keyRing };
}
