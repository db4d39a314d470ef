/**
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and says where the time went: self time per function
 * and per area (a package under node_modules, a folder of the gateway's src, node's internals, GC).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileLine {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  /** Time not idle: everything but `(idle)`. */
  readonly busyMs: number;
  readonly topFunctions: readonly ProfileLine[];
  readonly byArea: readonly ProfileLine[];
}

function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native/builtin)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1] as string;
  const source = /\/dist\/((?:src|bench)\/[^/]+)/.exec(url);
  if (source) return source[1] as string;
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  if (!url) return '';
  const modules = /node_modules\/(.*)$/.exec(url);
  if (modules) return modules[1] as string;
  const dist = /\/dist\/(.*)$/.exec(url);
  if (dist) return dist[1] as string;
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfByNode = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of selfByNode) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    total += micros;
    if (functionName === '(idle)') idle += micros;
    const name = `${functionName || '(anonymous)'}${url ? ` ${shortUrl(url)}:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
  }
  const busy = total - idle;
  const lines = (map: Map<string, number>, count: number): ProfileLine[] =>
    [...map.entries()]
      .filter(([name]) => !name.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, micros]) => ({ name, ms: Math.round(micros / 1000), percent: busy > 0 ? Math.round((micros / busy) * 1000) / 10 : 0 }));
  return { file, totalMs: Math.round(total / 1000), busyMs: Math.round(busy / 1000), topFunctions: lines(byFunction, top), byArea: lines(byArea, top) };
}
