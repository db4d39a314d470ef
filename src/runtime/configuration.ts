/**
 * The configuration folder read at start: the endpoint register, retraining-plan routing, the
 * deadline rules, the alert rules and the API keys. A mistake in any of them stops the start with its
 * file and reason.
 */
import { join } from 'node:path';
import { loadAlertConfig } from '../config/alerts-config.js';
import { loadDeadlineConfig } from '../config/deadline-config.js';
import { ConfigError, loadEndpointRegister } from '../config/endpoints.js';
import type { EndpointRegister } from '../domain/endpoint.js';
import { keyState, KeyRing, loadStoredKeys } from '../config/keys.js';
import { loadRetrainingRouting } from '../config/retraining-routing.js';
import type { Settings } from '../config/settings.js';

export interface GatewayConfiguration {
  readonly register: EndpointRegister;
  readonly retrainingRouting: ReturnType<typeof loadRetrainingRouting>;
  readonly deadlineRules: ReturnType<typeof loadDeadlineConfig>['deadlineRules'];
  readonly deadlineCorrelation: ReturnType<typeof loadDeadlineConfig>['deadlineCorrelation'];
  readonly alerts: ReturnType<typeof loadAlertConfig>;
  readonly keyRing: KeyRing;
  /** How many usable keys keys.json holds at start: neither revoked nor expired (the demo keys not counted). */
  readonly storedKeyCount: number;
  /** The endpoint EAN of each client certificate's SHA-256 fingerprint listed in endpoints.json. */
  readonly certificateOwners: ReadonlyMap<string, string>;
}

/** Every `clientCertificates` fingerprint of the register, with its endpoint. */
export function certificateOwnersOf(register: EndpointRegister): Map<string, string> {
  const owners = new Map<string, string>();
  for (const endpoint of register.endpoints) for (const certificate of endpoint.clientCertificates ?? []) owners.set(certificate.sha256, endpoint.ean);
  return owners;
}

export function loadConfiguration(settings: Settings, clock: () => Date = () => new Date()): GatewayConfiguration {
  const register = loadEndpointRegister(settings.configDir);
  const retrainingRouting = loadRetrainingRouting(settings.configDir, register);
  const { deadlineRules, deadlineCorrelation } = loadDeadlineConfig(settings.configDir);
  const alerts = loadAlertConfig(settings.configDir);
  const storedKeys = loadStoredKeys(settings.configDir);
  const keyRing = new KeyRing(storedKeys, register, settings.production, clock);
  const now = clock();
  const storedKeyCount = storedKeys.filter((key) => keyState(key, now) === 'active').length;
  return { register, retrainingRouting, deadlineRules, deadlineCorrelation, alerts, keyRing, storedKeyCount, certificateOwners: certificateOwnersOf(register) };
}

/**
 * A production API nobody can call is a mistake, not a state to run in: with NODE_ENV=production the
 * demo keys are refused, so without a key in keys.json the gateway refuses to start.
 */
export function refuseUnsafeStart(settings: Settings, storedKeyCount: number): void {
  if (settings.production && storedKeyCount === 0) {
    throw new ConfigError(
      `NODE_ENV=production and ${join(settings.configDir, 'keys.json')} holds no usable API key (demo keys are refused in production): make one with "medcom-gateway keys create --endpoint EAN" or "--ops"`,
    );
  }
}

/** Where the API listens: HOST when set; otherwise loopback only while the (public) demo keys work. */
export function listenHost(settings: Settings, demoKeys: boolean): { address: string; chosenForDemo: boolean } {
  if (settings.host) return { address: settings.host, chosenForDemo: false };
  const demoOn = demoKeys && !settings.production;
  return { address: demoOn ? '127.0.0.1' : '0.0.0.0', chosenForDemo: demoOn };
}
