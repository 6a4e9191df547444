/**
 * The two shapes of Claude Code history the cold-terminal benchmark (cold.bench.ts) runs on, kept under
 * .bench/cold/ and reused between runs (generation takes minutes):
 *  - long lines: few interactions, big tool results (issue 12's 862 MB / 2,790 files / 29k interactions);
 *  - short lines: many interactions, small tool results (the shape sources.bench.ts has always used).
 * SIZE (MB, default 862) scales both.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateClaudeCorpus } from '../sources/corpus';

export type Shape = 'long-lines' | 'short-lines';
export const SHAPES: readonly Shape[] = ['long-lines', 'short-lines'];

export interface ShapeCorpus {
  shape: Shape;
  /** The CLAUDE_CONFIG_DIR (files under projects/). */
  root: string;
  files: number;
  bytes: number;
  interactions: number;
}

export async function ensureShape(shape: Shape, sizeMB: number): Promise<ShapeCorpus> {
  const root = path.resolve('.bench', 'cold', `${shape}-${sizeMB}mb`);
  const meta = path.join(root, 'meta.json');
  // Kept with the absolute path of the checkout that generated it: the root is where it is now.
  if (existsSync(meta)) return { ...(JSON.parse(readFileSync(meta, 'utf8')) as ShapeCorpus), root: path.join(root, 'claude') };
  rmSync(root, { recursive: true, force: true });
  const t0 = performance.now();
  // Long lines: 2,400 sessions per 862 MB of ~12 turns, each with a ~27 KB tool result on average:
  // about 2,790 files (subagent and /btw transcripts on top) and 29k interactions.
  // Short lines: sources.bench.ts's shape (1,750 sessions per GB of 35–85 turns, 0.5–12 KB results).
  const c =
    shape === 'long-lines'
      ? await generateClaudeCorpus({
          root: path.join(root, 'claude'),
          sessions: Math.max(20, Math.round((2400 * sizeMB) / 862)),
          days: 30,
          startDay: '2025-10-01',
          turns: [6, 18],
          toolResultBytes: [4000, 50_000],
          seed: 12,
        })
      : await generateClaudeCorpus({
          root: path.join(root, 'claude'),
          sessions: Math.max(20, Math.round((1750 * sizeMB) / 1024)),
          days: 30,
          startDay: '2025-10-01',
          turns: [35, 85],
          toolResultBytes: [500, 12_000],
          seed: 11,
        });
  const m: ShapeCorpus = { shape, root: path.join(root, 'claude'), files: c.files.length, bytes: c.bytes, interactions: c.expected.size };
  writeFileSync(meta, JSON.stringify(m));
  console.log(`generated the ${shape} corpus in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${root}`);
  return m;
}

if (process.argv[2] === 'generate') {
  const size = Number(process.env.SIZE ?? 862);
  (async () => {
    for (const s of SHAPES) console.log(await ensureShape(s, size));
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
