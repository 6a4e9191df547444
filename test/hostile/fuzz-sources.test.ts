// Fuzz of each agent's log lines (issue 11): generated inputs, mutations of the project's fixture
// lines (test/sources/fixtures, whose writers' sources are cited in test/sources/*.test.ts), are fed
// through every adapter's parser from a fixed seed. A parser may reject a line only with a
// MalformedLine; every record it produces must be a valid Interaction that the ledger stores and
// reads back unchanged. UNMETERED_FUZZ_RUNS=N runs N inputs per adapter (default 2,000).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { decodeLine, encodeLine, validateRecord } from '../../src/core/ledger/fileFormat';
import { ADAPTERS } from '../../src/core/agents/registry';
import { MalformedLine, type LineParser, type ParsedRecord, type SourceAdapter } from '../../src/core/agents/types';
import type { Row } from '../../src/core/agents/sqliteSnapshot';
import { fuzzRuns, mulberry32, mutate, pick, type Rng } from '../helpers/fuzz';
import { assistantData } from '../sources/sqliteAgents';
import { FIXTURES } from '../sources/helpers';

const RUNS = fuzzRuns(2000);
const SEED = 0x5eed_0011;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Where each adapter's fixtures are (a new adapter without an entry fails the test: give it seeds). */
const FIXTURE_DIRS: Record<string, string[]> = {
  'claude-code': ['claude', 'claude-tz', 'claude-nocwd'],
  codex: ['codex', 'codex-conformance'],
  'gemini-cli': ['gemini', 'gemini-home'],
  cline: ['vscode/globalStorage/saoudrizwan.claude-dev', 'taskfamily/cline'],
  'roo-code': ['vscode/globalStorage/rooveterinaryinc.roo-cline', 'taskfamily/roo-code'],
  'kilo-code': ['taskfamily/kilo-code'],
  'qwen-code': ['qwen'],
  amp: ['amp'],
  continue: ['continue'],
  'factory-droid': ['factory-droid'],
  pi: ['pi'],
  'kimi-cli': ['kimi-cli'],
};

/** Each adapter's fixture files in the form it reads them: lines, or whole documents. */
function seedsOf(a: SourceAdapter): { file: string; texts: string[]; document: boolean }[] {
  return (FIXTURE_DIRS[a.id] ?? [])
    .flatMap((d) => files(path.join(FIXTURES, d)))
    .filter((f) => a.matches(f) && !f.endsWith('.zst'))
    .map((f) => {
      const text = readFileSync(f, 'utf8');
      const document = a.readMode(f) === 'document';
      return { file: f, texts: document ? [text] : text.split('\n').filter((l) => l.length > 0), document };
    });
}

interface Finding {
  run: number;
  what: string;
  input: string;
}

function checkRecord(a: SourceAdapter, p: ParsedRecord): string | null {
  try {
    const r = validateRecord(p.interaction);
    if (r.source !== 'log' || r.costNanos !== null || r.priceSource !== null)
      return `not an unpriced log record: ${JSON.stringify(r).slice(0, 200)}`;
    if (r.agent !== a.agent) return `agent ${r.agent}, expected ${a.agent}`;
    if (p.reportedCostNanos !== undefined && !(Number.isSafeInteger(p.reportedCostNanos) && p.reportedCostNanos >= 0))
      return `reportedCostNanos ${p.reportedCostNanos}`;
    const back = decodeLine(encodeLine(r).slice(0, -1));
    assert.equal(back.kind, 'record');
    // compared as JSON: a count of -0 (a log's "-0") is stored as the 0 it equals
    assert.deepEqual((back as { record: unknown }).record, JSON.parse(JSON.stringify(r)));
    return null;
  } catch (e) {
    return `invalid record (${(e as Error).message.slice(0, 200)})`;
  }
}

/** Feeds one input; returns what went wrong, if anything. */
function feed(a: SourceAdapter, parser: LineParser, text: string, lineNo: number, bytes: boolean): string | null {
  let got: readonly ParsedRecord[];
  try {
    if (bytes && parser.lineBytes) {
      const buf = Buffer.from('\n' + text + '\n', 'utf8'); // the line inside a bigger buffer, as the splitter hands it over
      got = parser.lineBytes(buf, 1, buf.length - 1, lineNo);
    } else got = parser.line(text, lineNo, (reason) => assert.equal(typeof reason, 'string'));
  } catch (e) {
    if (e instanceof MalformedLine) return null;
    return `${(e as Error).name} escaped: ${(e as Error).message.slice(0, 200)}`;
  }
  for (const p of got) {
    const bad = checkRecord(a, p);
    if (bad) return bad;
  }
  return null;
}

function fuzzAdapter(a: SourceAdapter, rng: Rng): { findings: Finding[]; inputs: number; records: number } {
  const seeds = seedsOf(a);
  assert.ok(seeds.length > 0, `fixtures for ${a.id}`);
  const allTexts = seeds.flatMap((s) => s.texts);
  const findings: Finding[] = [];
  let records = 0;
  let run = 0;
  while (run < RUNS) {
    const seed = pick(rng, seeds);
    // a run is a file: its lines in order, some mutated, some resumed from saved state
    const bytes = rng() < 0.5;
    let parser = a.createParser(seed.file);
    const texts = seed.document ? seed.texts : seed.texts.slice(0, 1 + Math.floor(rng() * seed.texts.length));
    texts.forEach((valid, i) => {
      if (run >= RUNS) return;
      const text = rng() < 0.6 ? mutate(rng, valid, allTexts) : valid;
      run++;
      if (!seed.document && rng() < 0.1 && parser.save)
        parser = a.createParser(seed.file, JSON.parse(JSON.stringify(parser.save() ?? null)));
      const bad = feed(a, parser, text, i + 1, bytes);
      if (bad && findings.length < 20)
        findings.push({ run, what: bad, input: text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text });
    });
    try {
      for (const p of parser.end?.() ?? []) {
        records++;
        const bad = checkRecord(a, p);
        if (bad && findings.length < 20) findings.push({ run, what: `end(): ${bad}`, input: '' });
      }
    } catch (e) {
      if (!(e instanceof MalformedLine) && findings.length < 20)
        findings.push({ run, what: `end() threw ${(e as Error).name}: ${(e as Error).message}`, input: '' });
    }
  }
  return { findings, inputs: run, records };
}

describe('fuzz: agent-log lines through each adapter', { timeout: 300_000 }, () => {
  ADAPTERS.forEach((a, i) => {
    if (a.sqlite) return; // rows, not lines: fuzzed below
    test(`${a.label}: ${RUNS} mutated inputs, only MalformedLine escapes, every record valid`, (t) => {
      const { findings, inputs } = fuzzAdapter(a, mulberry32(SEED + i));
      t.diagnostic(`${inputs} inputs from seed ${SEED + i}`);
      assert.deepEqual(findings, []);
    });
  });
});

/** Rows as the SQLite agents write them (test/sources/sqliteAgents.ts cites the writers). */
const ROW_SEEDS: Record<string, Row[]> = {
  opencode: [
    {
      id: 'msg_a',
      time_created: 1764590400000,
      time_updated: 1764590404000,
      data: assistantData({
        model: 'claude-sonnet-4-5',
        provider: 'anthropic',
        cwd: '/home/dev/acme',
        created: 1764590400000,
        completed: 1764590404000,
        cost: 0.0126,
        tokens: { input: 1200, output: 300, reasoning: 20, cache: { read: 5000, write: 800 } },
      }),
    },
    { id: 'msg_u', time_created: 1764590300000, time_updated: 1764590300000, data: '{"role":"user","time":{"created":1764590300000}}' },
  ],
  'copilot-cli': [
    {
      id: 1,
      session_id: 's-1',
      model: 'gpt-5',
      input_tokens: 10000,
      output_tokens: 500,
      cache_read_tokens: 8000,
      cache_write_tokens: 0,
      reasoning_tokens: 200,
      created_at: '2026-11-30 10:05:00',
      cwd: '/home/dev/shop',
    },
  ],
};
ROW_SEEDS['kilo-cli'] = ROW_SEEDS.opencode;

const ODD: (string | number | null)[] = [-1, 1.5, 1e300, -0, 2 ** 60, '', 'x', '12', null, '9999-99-99', 'NaN'];

function mutateRow(rng: Rng, row: Row): Row {
  const out: Row = { ...row };
  const keys = Object.keys(out);
  for (let n = 1 + Math.floor(rng() * 2); n > 0; n--) {
    const k = pick(rng, keys);
    const v = out[k];
    out[k] = typeof v === 'string' && rng() < 0.7 ? mutate(rng, v, [v]) : pick(rng, ODD);
  }
  return out;
}

describe("fuzz: SQLite agents' rows through each adapter", { timeout: 300_000 }, () => {
  ADAPTERS.forEach((a, i) => {
    if (!a.sqlite) return;
    test(`${a.label}: ${RUNS} mutated rows, nothing escapes, every record valid`, () => {
      const rng = mulberry32(SEED + 100 + i);
      const seeds = ROW_SEEDS[a.id];
      assert.ok(seeds?.length, `row seeds for ${a.id}`);
      const findings: Finding[] = [];
      for (let run = 0; run < RUNS; run++) {
        const rows = seeds.map((r) => (rng() < 0.7 ? mutateRow(rng, r) : r));
        const db = { all: () => rows, tables: () => new Set(['message', 'assistant_usage_events', 'sessions']) };
        const cursor =
          rng() < 0.2
            ? pick(rng, [null, 'x', { updated: 'x' }, { open: [1, null] }, { id: -5 }, [], { updated: 1, open: 'a' }])
            : undefined;
        try {
          const out = a.sqlite!.read(db, cursor, (where, reason) => assert.equal(typeof where + typeof reason, 'stringstring'));
          for (const p of out.records) {
            const bad = checkRecord(a, p);
            if (bad && findings.length < 20) findings.push({ run, what: bad, input: JSON.stringify(rows).slice(0, 300) });
          }
          JSON.stringify(out.cursor); // kept with the file's state: must serialise
        } catch (e) {
          if (findings.length < 20)
            findings.push({
              run,
              what: `${(e as Error).name} escaped: ${(e as Error).message}`,
              input: JSON.stringify(rows).slice(0, 300),
            });
        }
      }
      assert.deepEqual(findings, []);
    });
  });
});

describe('counts a log keeps apart that add up past 2^53 are a malformed line, never an invalid record', { timeout: 30_000 }, () => {
  // Found by the fuzz (Factory Droid, run 4503 of 20,000): output 3,000 + thinking 9,007,199,254,740,991 is not an
  // exact integer. Gemini CLI adds its thoughts to output the same way.
  const cases: [string, RegExp, string][] = [
    ['factory-droid', /"thinkingTokens":\s*\d+/g, '.settings.json'],
    ['gemini-cli', /"thoughts":\s*\d+/g, '.jsonl'],
  ];
  for (const [id, field, ext] of cases) {
    test(id, () => {
      const a = ADAPTERS.find((x) => x.id === id)!;
      // A text of a fixture that reads cleanly as it is, and carries the field.
      const parses = (file: string, t: string) => {
        try {
          const p = a.createParser(file);
          p.line(t, 1, () => {});
          p.end?.();
          return true;
        } catch {
          return false;
        }
      };
      const seed = seedsOf(a).find((x) => x.file.endsWith(ext) && x.texts.some((t) => t.match(field) && parses(x.file, t)))!;
      const valid = seed.texts.find((t) => t.match(field) && parses(seed.file, t))!;
      const text = valid.replace(field, (m) => m.replace(/\d+$/, String(Number.MAX_SAFE_INTEGER)));
      assert.notEqual(text, valid);
      // Read as the importer reads it: the line, then the end of the file (where a parser holding records emits them).
      assert.throws(
        () => {
          const p = a.createParser(seed.file);
          p.line(text, 1, () => {});
          p.end?.();
        },
        (e: unknown) => e instanceof MalformedLine && /add up past/.test(e.message),
      );
    });
  }
});
