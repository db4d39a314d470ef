/**
 * Finds `../shared` (MedCom's XSDs and samples, see ../shared/README.md) relative to the project root,
 * and lets a test suite skip — loudly, with the reason printed and in its title — when it is absent.
 * A test that depends on ../shared must never pass silently without it.
 *
 * The project root is the nearest folder above this module holding a package.json, found from
 * import.meta.url, so this works wherever vitest is started from. `MEDCOM_SHARED_DIR` overrides the
 * location; `MEDCOM_REQUIRE_SHARED=1` turns a missing folder into a failure instead of a skip (for CI,
 * which always has it).
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.js';

/** The project root (the folder holding package.json). */
export const PROJECT_ROOT = PACKAGE_ROOT;

/** Where ../shared is expected: `MEDCOM_SHARED_DIR` if set, else `<project root>/../shared`. */
export const SHARED_DIR = process.env.MEDCOM_SHARED_DIR ? resolve(process.env.MEDCOM_SHARED_DIR) : resolve(PROJECT_ROOT, '..', 'shared');

/** A path inside the project. */
export function fromProjectRoot(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}

/** A path inside ../shared (whether or not it exists). */
export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

export type SharedAvailability = { available: true; reason: undefined } | { available: false; reason: string };

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Whether ../shared and the given sub-folders of it (e.g. `medcom-xsd`, `medcom-samples`) exist;
 * when not, the reason says which folder is missing and where it was looked for.
 */
export function sharedAvailability(...subFolders: string[]): SharedAvailability {
  if (!isDirectory(SHARED_DIR)) {
    return {
      available: false,
      reason: `the shared reference folder ${SHARED_DIR} does not exist (expected at <project root>/../shared, or set MEDCOM_SHARED_DIR)`,
    };
  }
  for (const sub of subFolders) {
    const path = sharedPath(sub);
    if (!isDirectory(path)) return { available: false, reason: `the shared reference folder ${path} does not exist` };
  }
  return { available: true, reason: undefined };
}

/**
 * `describe`, but only when ../shared (and `subFolders` of it) exist. Otherwise the suite is
 * registered as skipped, with the reason in its title and printed on stderr, so the run's summary
 * shows it as skipped rather than passed. With MEDCOM_REQUIRE_SHARED=1 a missing folder throws.
 */
export function describeWithShared(name: string, subFolders: readonly string[], body: () => void): void {
  const availability = sharedAvailability(...subFolders);
  if (availability.available) {
    describe(name, body);
    return;
  }
  const message = `SKIPPED "${name}": ${availability.reason}`;
  if (process.env.MEDCOM_REQUIRE_SHARED === '1') throw new Error(`${message} (MEDCOM_REQUIRE_SHARED=1 forbids skipping)`);
  console.warn(message);
  // The body is not run: it may read ../shared while collecting. A placeholder test keeps the skip visible.
  describe.skip(`${name} — skipped: ${availability.reason}`, () => {
    it(`needs ${SHARED_DIR}`, () => undefined);
  });
}

/**
 * Whether a file or folder inside ../shared exists, for `it.skipIf(!hasShared(...))` and for tests
 * that use ../shared when present. Missing, it warns (the skip is visible in the output) or, with
 * MEDCOM_REQUIRE_SHARED=1, throws, so the test file fails instead of passing without it.
 */
export function hasShared(...parts: string[]): boolean {
  const path = sharedPath(...parts);
  try {
    statSync(path);
    return true;
  } catch {
    const message = `${path} is missing: the tests that need it are skipped`;
    if (process.env.MEDCOM_REQUIRE_SHARED === '1') throw new Error(`${message} (MEDCOM_REQUIRE_SHARED=1 forbids skipping)`);
    console.warn(message);
    return false;
  }
}
