/**
 * Branch and repository from agents' logs, end to end: real log files in a temp home, a real checkout
 * beside them, the importer, the ledger on disk.
 *
 * Line shapes follow the writers:
 * - Claude Code: the fixture lines in fixtures/claude (cwd, gitBranch on every transcript line);
 * - Codex: `session_meta` payload = SessionMeta flattened + `git` (SessionMetaLine; GitInfo is
 *   {commit_hash, branch, repository_url}, filled by collect_git_info in openai/codex
 *   codex-rs/core/src/git_info.rs @00b4d8a750d3bf29db10ae8df9a8782229c6bd4a; branch omitted when
 *   `rev-parse --abbrev-ref HEAD` says HEAD, repository_url is `git remote get-url origin` verbatim);
 * - Qwen Code: createBaseRecord's cwd and gitBranch (fixtures/qwen/README.md cites the commit).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { world, type World } from './helpers';

const TOKEN = 'ghp_NeverWriteThisToken0123456789';

describe('attribution from agents logs', { timeout: 60_000 }, () => {
  let w: World;
  let checkout: string;
  before(async () => {
    w = await world();
    checkout = path.join(w.dir, 'src', 'acme-api');
    mkdirSync(path.join(checkout, '.git'), { recursive: true });
    writeFileSync(path.join(checkout, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(
      path.join(checkout, '.git', 'config'),
      `[remote "origin"]\n\turl = https://x-access-token:${TOKEN}@github.com/Acme/acme-api.git\n`,
    );
    const claudeDir = path.join(w.home, '.claude', 'projects', 'p');
    mkdirSync(claudeDir, { recursive: true });
    const claudeLine = (id: string, branch: string | undefined, cwd: string, at: string) =>
      JSON.stringify({
        parentUuid: null,
        isSidechain: false,
        userType: 'external',
        cwd,
        sessionId: 's1',
        version: '2.0.31',
        ...(branch === undefined ? {} : { gitBranch: branch }),
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5-20250929',
          content: [],
          usage: { input_tokens: 10, output_tokens: 5 },
        },
        type: 'assistant',
        uuid: `u-${id}`,
        timestamp: at,
      });
    writeFileSync(
      path.join(claudeDir, 's1.jsonl'),
      [
        claudeLine('msg_feature', 'feature/billing', checkout, '2026-11-20T10:00:00.000Z'),
        claudeLine('msg_detached', 'HEAD', checkout, '2026-11-20T10:01:00.000Z'),
        claudeLine('msg_nobranch', undefined, path.join(w.dir, 'elsewhere'), '2026-11-20T10:02:00.000Z'),
        claudeLine('msg_empty', '', checkout, '2026-11-20T10:03:00.000Z'),
      ].join('\n') + '\n',
    );
    const codexDir = path.join(w.home, '.codex', 'sessions', '2026', '11', '20');
    mkdirSync(codexDir, { recursive: true });
    const thread = '019ab000-0000-7000-8000-000000000001';
    const usage = (n: number) => ({
      input_tokens: n,
      cached_input_tokens: 0,
      output_tokens: 10,
      reasoning_output_tokens: 0,
      total_tokens: n + 10,
    });
    writeFileSync(
      path.join(codexDir, `rollout-2026-11-20T11-00-00-${thread}.jsonl`),
      [
        {
          timestamp: '2026-11-20T11:00:00.000Z',
          type: 'session_meta',
          payload: {
            id: thread,
            timestamp: '2026-11-20T11:00:00.000Z',
            cwd: '/home/dev/web',
            originator: 'codex_cli_rs',
            cli_version: '0.46.0',
            git: {
              commit_hash: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
              branch: 'fix/login',
              repository_url: `git@github.com:Acme/web.git`,
            },
          },
        },
        { timestamp: '2026-11-20T11:00:01.000Z', type: 'turn_context', payload: { cwd: '/home/dev/web', model: 'gpt-5-codex' } },
        {
          timestamp: '2026-11-20T11:00:02.000Z',
          type: 'event_msg',
          payload: { type: 'token_count', info: { total_token_usage: usage(100), last_token_usage: usage(100) } },
        },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n') + '\n',
    );
    const thread2 = '019ab000-0000-7000-8000-000000000002';
    writeFileSync(
      path.join(codexDir, `rollout-2026-11-20T12-00-00-${thread2}.jsonl`),
      [
        // an old build, or a folder outside git: no `git` at all
        {
          timestamp: '2026-11-20T12:00:00.000Z',
          type: 'session_meta',
          payload: {
            id: thread2,
            timestamp: '2026-11-20T12:00:00.000Z',
            cwd: '/home/dev/web',
            originator: 'codex_cli_rs',
            cli_version: '0.46.0',
          },
        },
        { timestamp: '2026-11-20T12:00:01.000Z', type: 'turn_context', payload: { cwd: '/home/dev/web', model: 'gpt-5-codex' } },
        {
          timestamp: '2026-11-20T12:00:02.000Z',
          type: 'event_msg',
          payload: { type: 'token_count', info: { total_token_usage: usage(200), last_token_usage: usage(200) } },
        },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n') + '\n',
    );
    await w.importer().scan();
  });
  after(() => w.cleanup());

  const get = (prefix: string) => w.ledger.records().find((r) => r.id.startsWith(prefix))!;

  it('Claude Code: the line gitBranch, and the repository of the checkout at cwd without its token', () => {
    const r = get('anthropic:msg_feature');
    assert.equal(r.branch, 'feature/billing');
    assert.equal(r.repo, 'github.com/Acme/acme-api');
    assert.equal(r.project, 'acme-api');
  });

  it('Claude Code: HEAD (detached) and "" name no branch; a cwd outside git names no repository', () => {
    assert.equal(get('anthropic:msg_detached').branch, undefined);
    assert.equal(get('anthropic:msg_detached').repo, 'github.com/Acme/acme-api');
    assert.equal(get('anthropic:msg_empty').branch, undefined);
    const none = get('anthropic:msg_nobranch');
    assert.equal('branch' in none, false);
    assert.equal('repo' in none, false);
  });

  it('Codex: session_meta git gives branch and the normalised origin; without git, neither', () => {
    const r = get('codex:019ab000-0000-7000-8000-000000000001:');
    assert.equal(r.branch, 'fix/login');
    assert.equal(r.repo, 'github.com/Acme/web');
    const old = get('codex:019ab000-0000-7000-8000-000000000002:');
    assert.equal('branch' in old, false);
    assert.equal('repo' in old, false);
  });

  it('no token from a remote URL reaches the ledger files', () => {
    const dir = path.join(w.dataDir, 'ledger');
    for (const f of readdirSync(dir)) assert.ok(!readFileSync(path.join(dir, f), 'utf8').includes(TOKEN), f);
    assert.ok(readFileSync(path.join(dir, '2026-11.jsonl'), 'utf8').includes('"rp":"github.com/Acme/acme-api"'));
  });
});

describe('worker threads carry attribution in their packed batches', { timeout: 30_000 }, () => {
  it('packs records with and without branch and repo, and unpacks them unchanged', async () => {
    const { pack, unpack } = await import('../../src/core/import/worker');
    const { unpriced } = await import('../../src/core/agents/util');
    const { tokens } = await import('../../src/core/interaction');
    const base = {
      at: '2026-11-20T10:00:00.000Z',
      agent: 'claude-code',
      project: 'api',
      model: 'claude-sonnet-4-5',
      tokens: tokens({ input: 1 }),
    };
    const records = [
      { interaction: { ...unpriced({ ...base, id: 'a' }), branch: 'feature/x', repo: 'github.com/acme/api' } },
      { interaction: { ...unpriced({ ...base, id: 'b', fast: true }), branch: 'main' } },
      { interaction: unpriced({ ...base, id: 'c' }) },
    ];
    const packed = pack(records);
    assert.equal(packed.plain, undefined, 'packed in columns, not sent as plain objects');
    assert.deepEqual(unpack(structuredClone(packed)), records);
  });
});
