/**
 * Refreshes src/core/pricing/snapshot.json from LiteLLM's model price file. Run by a person
 * (`npm run prices:refresh`), never by build or test; review the printed changes and commit the file.
 *
 *   npm run prices:refresh                              newest commit on LiteLLM's main branch
 *   npm run prices:refresh -- --commit <sha>            a given commit
 *   npm run prices:refresh -- --file <path> --commit <sha>
 *                                                      a copy already on disk, read at that commit
 *   --out <path>   where to write (default src/core/pricing/snapshot.json)
 *   --date YYYY-MM-DD   the fetch date to record (default today, UTC)
 */
import { readFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import path from 'node:path';
import { priceFromLiteLLM } from '../core/pricing/cost';
import { buildSnapshot, LITELLM_PATH, LITELLM_REPO, serializeSnapshot, type PriceSnapshot } from '../core/pricing/litellm';

interface Args {
  commit?: string;
  file?: string;
  out: string;
  date: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { out: path.join('src', 'core', 'pricing', 'snapshot.json'), date: new Date().toISOString().slice(0, 10) };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!['--commit', '--file', '--out', '--date'].includes(flag))
      throw new Error(`unknown argument ${JSON.stringify(flag)}: expected --commit, --file, --out or --date`);
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag}: expected a value after it`);
    args[flag.slice(2) as keyof Args] = value;
    i++;
  }
  if (args.file && !args.commit) throw new Error('--file: also give --commit <sha>, the LiteLLM commit the file was taken from');
  return args;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { headers: { 'user-agent': 'unmetered-prices-refresh', accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${res.statusText}`);
  return res.json();
}

async function resolveCommit(commit: string | undefined): Promise<string> {
  if (commit && /^[0-9a-f]{40}$/.test(commit)) return commit;
  const ref = commit ?? 'main';
  const info = (await getJson(`https://api.github.com/repos/${LITELLM_REPO}/commits/${encodeURIComponent(ref)}`)) as { sha?: unknown };
  if (typeof info.sha !== 'string') throw new Error(`GitHub gave no commit sha for ${LITELLM_REPO}@${ref}`);
  return info.sha;
}

function summarise(before: PriceSnapshot | null, after: PriceSnapshot): string[] {
  const lines = [`${Object.keys(after.models).length} models from ${after.source.repo}@${after.source.commit.slice(0, 8)}`];
  if (!before) return lines;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const key of Object.keys(after.models)) {
    if (!(key in before.models)) lines.push(`+ ${key}`);
    else if (!same(priceFromLiteLLM(before.models[key]), priceFromLiteLLM(after.models[key])))
      lines.push(`~ ${key}: ${JSON.stringify(before.models[key])} → ${JSON.stringify(after.models[key])}`);
  }
  for (const key of Object.keys(before.models)) if (!(key in after.models)) lines.push(`- ${key}`);
  return lines;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const commit = args.file ? args.commit! : await resolveCommit(args.commit);
  // Read the file at the resolved commit, not at a branch, so the recorded commit is the one priced.
  const raw = args.file
    ? (JSON.parse(await readFile(args.file, 'utf8')) as unknown)
    : await getJson(`https://raw.githubusercontent.com/${LITELLM_REPO}/${commit}/${LITELLM_PATH}`);
  const snapshot = buildSnapshot(raw, { commit, fetchedAt: args.date });
  let before: PriceSnapshot | null = null;
  try {
    before = JSON.parse(await readFile(args.out, 'utf8')) as PriceSnapshot;
  } catch {
    // first run or unreadable: nothing to compare with
  }
  // Replaced whole: an interrupted refresh leaves the previous snapshot, never a torn one the build would ship.
  await writeFileAtomic(args.out, serializeSnapshot(snapshot));
  for (const line of summarise(before, snapshot)) process.stdout.write(line + '\n');
  process.stdout.write(`wrote ${args.out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`prices:refresh: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
