/**
 * The `medcom-gateway` command: serve, api, worker, migrate, keys, validate, deadlines, replay, inbox
 * and config. Each command lives in its own module; this one only declares the commands and their
 * options (commander) and maps what they return to the process exit code.
 *
 * The gateway's own modules (Fastify, BullMQ, the store) load only for the commands that run it, so
 * the offline commands and `--help` start quickly.
 *
 * Exit codes: 0 success, 1 the command ran and found a problem (an invalid message, an unexpected
 * answer, a broken configuration), 2 the command was called wrongly (unknown option, missing file).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readSettings } from '../config/settings.js';
import { fromPackageRoot } from '../package-root.js';
import { runConfigCheck } from './config-check/config-command.js';
import { runDeadlinesExplain } from './deadlines-command.js';
import { runInbox, type AnswerChoice } from './inbox-simulator/inbox-command.js';
import { DEFAULT_GRACE, runKeysCreate, runKeysList, runKeysRevoke, runKeysRotate } from './keys-command.js';
import { runReplay } from './replay/replay-command.js';
import { runValidate } from './validate-command.js';

const ENVIRONMENT_NOTE = `
Settings come from the environment (PORT, HOST, DATABASE_URL, MEDCOM_DATA_DIR, REDIS_URL,
MEDCOM_CONFIG_DIR, LOG_LEVEL, MEDCOM_QUEUE_PREFIX, …): see the README. "<command> --help" tells more.`;

const out = (text: string): void => void process.stdout.write(text);
const err = (text: string): void => void process.stderr.write(text);

function version(): string {
  return (JSON.parse(readFileSync(fromPackageRoot('package.json'), 'utf8')) as { version: string }).version;
}

/** A whole number of at least `min`, for numeric options; commander reports the error with the option's name. */
export function wholeNumber(min: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`give a whole number of at least ${min}`);
    return value;
  };
}

/** A positive number (fractions allowed), e.g. a rate per second. */
export function positiveNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('give a number above 0');
  return value;
}

/** The program with every command; `setCode` receives each action's exit code. */
function program(setCode: (code: number) => void): Command {
  const root = new Command('medcom-gateway')
    .description('HTTP gateway for Danish MedCom OIOXML messages between hospitals and municipalities')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for the command')
    .addHelpText('after', ENVIRONMENT_NOTE)
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride();
  const run = (action: Promise<number> | number) => Promise.resolve(action).then(setCode);

  for (const [mode, what] of [
    ['serve', 'run the API and the workers in one process'],
    ['api', 'run only the HTTP API'],
    ['worker', 'run only the queue workers'],
  ] as const) {
    root
      .command(mode)
      .description(`${what}; stops gracefully on SIGINT/SIGTERM`)
      .action(async () => run((await import('./run-command.js')).runGateway(mode)));
  }
  root
    .command('migrate')
    .description("bring the store's tables up to date")
    .action(async () => run((await import('./run-command.js')).runMigrate()));
  root
    .command('retention')
    .description('prune the message bodies MEDCOM_RETENTION_DAYS lets go now')
    .option('--dry-run', 'report per type what would go, change nothing', false)
    .action(async (options: { dryRun: boolean }) =>
      run((await import('./retention-command.js')).runRetentionCommand(readSettings(), { dryRun: options.dryRun }, out)),
    );

  const keys = root.command('keys').description('API keys of the endpoints and of operations');
  keys
    .command('create')
    .description('make an API key, print it once and store only its hash in keys.json of MEDCOM_CONFIG_DIR')
    .addOption(new Option('--endpoint <EAN>', 'the endpoint the key belongs to').conflicts('ops'))
    .option('--ops', 'a key for one person of operations staff (give --name)')
    .option('--name <NAME>', 'the person an ops key belongs to, as the audit log names them')
    .action((options: { endpoint?: string; ops?: boolean; name?: string }) => {
      if (!options.endpoint && !options.ops) {
        err('keys create needs --endpoint EAN or --ops\n');
        return run(2);
      }
      return run(runKeysCreate(readSettings().configDir, options.ops ? 'ops' : (options.endpoint as string), out, options.name));
    });
  keys
    .command('list')
    .description('every key of keys.json: id, endpoint or operator, created, last used, state (never a secret)')
    .option('--json', 'print the list as JSON')
    .addHelpText('after', '\n"Last used" is what the gateways recorded in Redis (REDIS_URL, MEDCOM_QUEUE_PREFIX), to the minute; "unknown" when Redis does not answer.')
    .action(async (options: { json?: boolean }) => {
      const settings = readSettings();
      const { readLastUses } = await import('./key-usage-reader.js');
      return run(runKeysList(settings.configDir, { json: options.json ?? false }, { out, err, lastUsed: () => readLastUses(settings) }));
    });
  keys
    .command('revoke')
    .description('the key stops working; it stays in keys.json marked revoked, with the time')
    .argument('<ID>', 'the key id, as keys list shows it')
    .action((id: string) => run(runKeysRevoke(readSettings().configDir, id, { out, err })));
  keys
    .command('rotate')
    .description('a new key for the same endpoint or person, printed once; the old key keeps working for the grace period')
    .argument('<ID>', 'the key id, as keys list shows it')
    .option('--grace <DURATION>', 'how long the old key keeps working: 0 (ends now) or e.g. 90m, 24h, 7d', DEFAULT_GRACE)
    .action((id: string, options: { grace: string }) => run(runKeysRotate(readSettings().configDir, id, options.grace, { out, err })));

  root
    .command('validate')
    .description('validate MedCom messages offline, one verdict per file (stdin when no FILE or "-"); exit 1 when one is invalid')
    .argument('[FILE...]', 'messages to check')
    .option('--json', 'print the verdicts as JSON')
    .option('--charset <NAME>', 'the charset to decode with when the message does not say (windows-1252, iso-8859-1, utf-8)')
    .action((files: string[], options: { json?: boolean; charset?: string }) =>
      run(runValidate({ files, json: options.json ?? false, ...(options.charset ? { charset: options.charset } : {}) }, out, err)),
    );

  const deadlines = root.command('deadlines').description('the deadline rules of the health agreement, offline');
  deadlines
    .command('explain')
    .description('the deadlines a message would start if it arrived at TIME; stores nothing, needs no database')
    .argument('<FILE>', 'the message')
    .option('--at <TIME>', 'arrival time: 2026-03-13T09:00 (Copenhagen time) or with an offset (default now)')
    .option('--json', 'print the explanation as JSON')
    .option('--charset <NAME>', 'the charset to decode with when the message does not say')
    .action((file: string, options: { at?: string; json?: boolean; charset?: string }) =>
      run(
        runDeadlinesExplain(
          { file, json: options.json ?? false, configDir: readSettings().configDir, ...(options.at ? { at: options.at } : {}), ...(options.charset ? { charset: options.charset } : {}) },
          out,
          err,
        ),
      ),
    );

  root
    .command('replay')
    .description('post every MedCom message under PATH (files, folders searched for .xml) to a running gateway and check each answer')
    .argument('<PATH...>', 'message files and folders')
    .requiredOption('--url <URL>', 'the gateway, e.g. http://localhost:8080')
    .option('--key <KEY>', 'API key for every message (with --keys or --demo-keys: for messages without a key of their own)')
    .option('--keys <FILE>', 'JSON file { "<sender EAN>": "<API key>", … } for sets from several senders')
    .option('--demo-keys', "the demo network's keys: demo-<sender EAN>")
    .option('--rate <N>', 'at most N messages per second', positiveNumber)
    .option('--concurrency <N>', 'messages in flight at once', wholeNumber(1), 4)
    .option('--fresh-ids', 'new envelope and letter identifiers, so the set can be replayed again; receipts for messages of the set quote the new ones')
    .option('--evaluate-only', 'ask POST /api/v1/deadlines/evaluate which deadlines each message would start; nothing is stored')
    .option('--at <TIME>', 'with --evaluate-only: the arrival time, 2026-03-13T09:00 (Copenhagen time) or with an offset')
    .option('--expect', 'check each answer: NAME.expect.json beside NAME.xml, else folder valid/ → 202, invalid/ → 4xx (without --expect: any 2xx)')
    .option('--json', 'one JSON line per message and one for the summary')
    .addHelpText(
      'after',
      `
A sidecar NAME.expect.json: { "status": 422, "code": "unroutable" } or { "status": 202, "deadlines": { "D2": "late" } }.
Exit code: 0 when every answer was as expected, 1 when one was not, 2 when called wrongly.`,
    )
    .action(
      (
        paths: string[],
        options: { url: string; key?: string; keys?: string; demoKeys?: boolean; rate?: number; concurrency: number; freshIds?: boolean; evaluateOnly?: boolean; at?: string; expect?: boolean; json?: boolean },
      ) =>
        run(
          runReplay(
            {
              paths,
              url: options.url,
              demoKeys: options.demoKeys ?? false,
              concurrency: options.concurrency,
              freshIds: options.freshIds ?? false,
              evaluateOnly: options.evaluateOnly ?? false,
              expect: options.expect ?? false,
              json: options.json ?? false,
              ...(options.key ? { key: options.key } : {}),
              ...(options.keys ? { keysFile: options.keys } : {}),
              ...(options.rate ? { rate: options.rate } : {}),
              ...(options.at ? { at: options.at } : {}),
            },
            { out, err, ...(process.stderr.isTTY && !options.json ? { tty: process.stderr } : {}) },
          ),
        ),
    );

  root
    .command('inbox')
    .description("be the other side: lease an endpoint's inbox, fetch each message (SHA-256 checked against the ETag), save it, answer it")
    .requiredOption('--url <URL>', 'the gateway, e.g. http://localhost:8080')
    .requiredOption('--key <KEY>', "the endpoint's API key")
    .option('--follow', 'keep long-polling for new messages until Ctrl-C (default: drain the inbox and exit)')
    .addOption(new Option('--answer <KIND>', 'the receipt to send').choices(['positive', 'negative', 'none']).default('positive'))
    .option('--save <DIR>', 'save each message, byte for byte, as DIR/<envelope>_<item>.xml')
    .option('--wait <SECONDS>', 'with --follow: how long each lease request waits for a message', wholeNumber(0), 30)
    .option('--limit <N>', 'messages leased per request', wholeNumber(1), 10)
    .addHelpText('after', '\nA positive receipt goes only to messages that ask for one (pluspositivkvitt); receipts are never answered.')
    .action(async (options: { url: string; key: string; follow?: boolean; answer: AnswerChoice; save?: string; wait: number; limit: number }) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await run(
          runInbox(
            { url: options.url, key: options.key, follow: options.follow ?? false, answer: options.answer, wait: options.wait, limit: options.limit, ...(options.save ? { save: options.save } : {}) },
            { out, err, signal: stop.signal },
          ),
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });

  const config = root.command('config').description('the configuration folder (endpoints, keys, deadline rules, retraining routing, alerts)');
  config
    .command('check')
    .description('check every file of the configuration folder and their references to each other; print every problem with its file, JSON path and fix')
    .argument('[DIR]', 'the configuration folder (default: MEDCOM_CONFIG_DIR, else ./config)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExit code: 0 the gateway can start with it (warnings allowed), 1 errors, 2 no such folder.')
    .action((dir: string | undefined, options: { json?: boolean }) => run(runConfigCheck({ dir: dir ?? readSettings().configDir, json: options.json ?? false }, out, err)));
  return root;
}

/** Runs the command line (without node and the script); resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const root = program((value) => {
    code = value;
  });
  if (argv.length === 0) {
    root.outputHelp({ error: true });
    return 2;
  }
  try {
    await root.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version end through here too, with exit code 0; a command group called without
    // its sub-command ("keys") shows its help as an error.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
  }
  return code;
}
