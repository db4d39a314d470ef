/**
 * The `medcom-gateway` command. Sub-commands are added as the gateway grows (serve, worker, migrate,
 * keys, replay); each lives in its own module.
 */
import { parseArgs } from 'node:util';
import { readSettings } from '../config/settings.js';
import { runDeadlinesExplain } from './deadlines-command.js';
import { runKeysCreate } from './keys-command.js';
import { runRetentionCommand } from './retention-command.js';
import { runGateway, runMigrate } from './run-command.js';
import { runValidate } from './validate-command.js';

const USAGE = `usage: medcom-gateway <command> [options]

commands:
  serve                                        run the API and the workers in one process
  api                                          run only the HTTP API
  worker                                       run only the queue workers
  migrate                                      bring the store's tables up to date
  keys create (--endpoint EAN | --ops)         make an API key; only its hash is stored
  retention [--dry-run]                        prune the message bodies MEDCOM_RETENTION_DAYS lets go now
                                               (--dry-run: report per type what would go, change nothing)
  validate [--json] [--charset NAME] [FILE…]   validate MedCom messages (stdin when no FILE or "-")
  deadlines explain FILE [--at TIME] [--json]  the deadlines a message would start if it arrived at TIME
                                               (2026-03-13T09:00 Copenhagen time, or with an offset); stores nothing
  help                                         show this text

settings come from the environment (PORT, HOST, DATABASE_URL, MEDCOM_DATA_DIR, REDIS_URL,
MEDCOM_CONFIG_DIR, LOG_LEVEL, MEDCOM_QUEUE_PREFIX, …): see the README.
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'validate': {
      let parsed;
      try {
        parsed = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { json: { type: 'boolean', default: false }, charset: { type: 'string' } },
        });
      } catch (error) {
        process.stderr.write(`${(error as Error).message}\n${USAGE}`);
        return 2;
      }
      return runValidate(
        { files: parsed.positionals, json: parsed.values.json ?? false, charset: parsed.values.charset },
        (text) => process.stdout.write(text),
      );
    }
    case 'deadlines': {
      let parsed;
      try {
        parsed = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { at: { type: 'string' }, json: { type: 'boolean', default: false }, charset: { type: 'string' } },
        });
      } catch (error) {
        process.stderr.write(`${(error as Error).message}\n${USAGE}`);
        return 2;
      }
      const [sub, file, ...extra] = parsed.positionals;
      if (sub !== 'explain' || file === undefined || extra.length > 0) {
        process.stderr.write('usage: medcom-gateway deadlines explain FILE [--at TIME] [--json] [--charset NAME]\n');
        return 2;
      }
      return runDeadlinesExplain(
        { file, json: parsed.values.json ?? false, configDir: readSettings().configDir, ...(parsed.values.at ? { at: parsed.values.at } : {}), ...(parsed.values.charset ? { charset: parsed.values.charset } : {}) },
        (text) => process.stdout.write(text),
        (text) => process.stderr.write(text),
      );
    }
    case 'serve':
    case 'api':
    case 'worker':
      return runGateway(command);
    case 'migrate':
      return runMigrate();
    case 'retention': {
      let parsed;
      try {
        parsed = parseArgs({ args: [...rest], options: { 'dry-run': { type: 'boolean', default: false } } });
      } catch (error) {
        process.stderr.write(`${(error as Error).message}\nusage: medcom-gateway retention [--dry-run]\n`);
        return 2;
      }
      return runRetentionCommand(readSettings(), { dryRun: parsed.values['dry-run'] ?? false }, (text) => process.stdout.write(text));
    }
    case 'keys': {
      const parsed = parseArgs({ args: rest, allowPositionals: true, options: { endpoint: { type: 'string' }, ops: { type: 'boolean' } } });
      if (parsed.positionals[0] !== 'create' || (!parsed.values.endpoint && !parsed.values.ops)) {
        process.stderr.write(`usage: medcom-gateway keys create (--endpoint EAN | --ops)\n`);
        return 2;
      }
      return runKeysCreate(readSettings().configDir, parsed.values.ops ? 'ops' : (parsed.values.endpoint as string), (text) => process.stdout.write(text));
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}
