/** Replaces `from` by `to` in `text`, failing loudly when `from` is not there (so no case silently tests nothing). */
export function mutate(text: string, from: string | RegExp, to: string): string {
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`mutation ${String(from)} did not apply`);
  return changed;
}
