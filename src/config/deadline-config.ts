/**
 * The deadline rules in force: `deadline-rules.json` in the configuration directory, or the packaged
 * default (Region Midtjylland's general agreement) when the directory has none.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { correlationTypes, DeadlineRulesError, parseDeadlineRulesText, type CorrelationTypes, type DeadlineRuleSet } from '../domain/deadlines/index.js';
import { fromPackageRoot } from '../package-root.js';

export const DEADLINE_RULES_FILE = 'deadline-rules.json';

export interface DeadlineConfig {
  readonly deadlineRules: DeadlineRuleSet;
  readonly deadlineCorrelation: CorrelationTypes;
  /** The file the rules were read from. */
  readonly deadlineRulesFile: string;
}

export function deadlineRulesFileIn(configDir: string): string {
  const own = join(configDir, DEADLINE_RULES_FILE);
  return existsSync(own) ? own : fromPackageRoot('config', DEADLINE_RULES_FILE);
}

/** Reads and validates a rules file, e.g. `config/deadline-rules.json`. */
export function loadDeadlineRules(file: string): DeadlineRuleSet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DeadlineRulesError(file, [`cannot read ${file}: ${(error as Error).message}`]);
  }
  return parseDeadlineRulesText(text, file);
}

/** Reads and validates the rules; throws DeadlineRulesError naming the file, path and fix. */
export function loadDeadlineConfig(configDir: string): DeadlineConfig {
  const file = deadlineRulesFileIn(configDir);
  const deadlineRules = loadDeadlineRules(file);
  return { deadlineRules, deadlineCorrelation: correlationTypes(deadlineRules), deadlineRulesFile: file };
}
