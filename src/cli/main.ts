/**
 * The `medcom-gateway` command. Sub-commands are added as the gateway grows (serve, worker, migrate,
 * keys, replay); each lives in its own module.
 */
import { parseArgs } from 'node:util';
import { runValidate } from './validate-command.js';

const USAGE = `usage: medcom-gateway <command> [options]

commands:
  validate [--json] [--charset NAME] [FILE…]   validate MedCom messages (stdin when no FILE or "-")
  help                                         show this text
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
