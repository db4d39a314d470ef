/**
 * Reads the final stage of the project's Dockerfile (what the image runs), so a test can repeat its
 * production install and its start command outside Docker: no Docker engine runs on the development
 * machines, and a test of a copy of the commands would prove nothing about the file.
 */
import { readFileSync } from 'node:fs';

export interface RuntimeStage {
  /** ENV of the final stage, in order. */
  readonly env: Readonly<Record<string, string>>;
  /** COPY instructions: `from` is a stage name or undefined (the build context). */
  readonly copies: readonly { readonly from: string | undefined; readonly sources: readonly string[]; readonly destination: string }[];
  /** The RUN commands, each split on `&&`. */
  readonly runs: readonly (readonly string[])[];
  readonly workdir: string;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly healthcheck: readonly string[];
  readonly user: string | undefined;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { keyword: string; args: string }[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

function execForm(args: string, what: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error(`${what} is not in exec form: ${args}`);
  return parsed;
}

export function readRuntimeStage(file: string): RuntimeStage {
  const all = instructions(readFileSync(file, 'utf8'));
  const lastFrom = all.map((i) => i.keyword).lastIndexOf('FROM');
  if (lastFrom < 0) throw new Error(`${file} has no FROM`);
  const stage = all.slice(lastFrom + 1);
  const env: Record<string, string> = {};
  const copies: { from: string | undefined; sources: string[]; destination: string }[] = [];
  const runs: string[][] = [];
  let workdir = '/';
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  let healthcheck: string[] = [];
  let user: string | undefined;
  for (const { keyword, args } of stage) {
    switch (keyword) {
      case 'ENV':
        for (const pair of args.split(/\s+/)) {
          const at = pair.indexOf('=');
          if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
        }
        break;
      case 'WORKDIR':
        workdir = args;
        break;
      case 'COPY': {
        const words = args.split(/\s+/);
        const fromFlag = words.find((w) => w.startsWith('--from='));
        const paths = words.filter((w) => !w.startsWith('--'));
        copies.push({ from: fromFlag?.slice('--from='.length), sources: paths.slice(0, -1), destination: paths.at(-1) as string });
        break;
      }
      case 'RUN':
        runs.push(args.split('&&').map((part) => part.trim()));
        break;
      case 'ENTRYPOINT':
        entrypoint = execForm(args, 'ENTRYPOINT');
        break;
      case 'CMD':
        cmd = execForm(args, 'CMD');
        break;
      case 'HEALTHCHECK':
        healthcheck = execForm(args.slice(args.indexOf('CMD') + 3).trim(), 'HEALTHCHECK CMD');
        break;
      case 'USER':
        user = args;
        break;
    }
  }
  return { env, copies, runs, workdir, entrypoint, cmd, healthcheck, user };
}
