/**
 * Reading the files a command was given. A path that does not exist is the user's typo, not an
 * invalid message: it is reported as "no such file: PATH" and the command exits 2 (bad input), so a
 * CI script tells a wrong path from a refused message.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export class InputFileError extends Error {
  override readonly name = 'InputFileError';
}

function explain(path: string, error: unknown): InputFileError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new InputFileError(`no such file: ${path}`);
  if (code === 'EISDIR') return new InputFileError(`${path} is a folder, not a file`);
  return new InputFileError(`cannot read ${path}: ${(error as Error).message}`);
}

/** The bytes of `path`; throws InputFileError with a one-line reason. */
export async function readInputFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw explain(path, error);
  }
}

/**
 * Every file ending in `extension` under `paths` (files are taken as given, folders searched
 * recursively), in a stable order: each path's files sorted by name, paths in the order given.
 */
export async function collectFiles(paths: readonly string[], extension: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && entry.name.toLowerCase().endsWith(extension)) found.push(path);
    }
  };
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw explain(path, error);
    }
    if (info.isDirectory()) await walk(path);
    else found.push(path);
  }
  return found;
}
