/** Branch and repository from a checkout's .git, without git: real folders laid out as git lays them out. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cachedGitAttribution, normaliseRemote, originUrl, readGitAttribution } from '../../src/core/git';

describe('normaliseRemote: one identity per repository, never a credential', { timeout: 30_000 }, () => {
  it('maps the URL forms git accepts to host/owner/name', () => {
    const cases: [string, string | undefined][] = [
      ['https://github.com/acme/api.git', 'github.com/acme/api'],
      ['https://github.com/acme/api', 'github.com/acme/api'],
      ['https://github.com/acme/api/', 'github.com/acme/api'],
      ['git@github.com:acme/api.git', 'github.com/acme/api'],
      ['ssh://git@github.com:22/acme/api.git', 'github.com/acme/api'],
      ['git://GitHub.com/acme/api', 'github.com/acme/api'],
      ['https://gitlab.example.com:8443/group/sub/api.git', 'gitlab.example.com/group/sub/api'],
      ['https://dev.azure.com/org/proj/_git/api', 'dev.azure.com/org/proj/_git/api'],
      // local paths and file URLs name no shared repository
      ['/srv/git/api.git', undefined],
      ['../api', undefined],
      ['file:///srv/git/api.git', undefined],
      ['C:/src/api', undefined],
      ['C:\\src\\api', undefined],
      ['', undefined],
      ['https://github.com/', undefined],
    ];
    for (const [url, want] of cases) assert.equal(normaliseRemote(url), want, url);
  });

  it('drops user names, passwords, tokens, ports, queries and fragments', () => {
    const secret = 'ghp_S3cr3tT0k3nValue';
    const cases = [
      `https://x-access-token:${secret}@github.com/acme/api.git`,
      `https://${secret}@github.com/acme/api.git`,
      `https://user:${secret}@github.com:443/acme/api.git?token=${secret}#${secret}`,
      `ssh://user:${secret}@github.com/acme/api.git`,
    ];
    for (const url of cases) {
      const got = normaliseRemote(url);
      assert.equal(got, 'github.com/acme/api', url);
      assert.ok(!got.includes(secret));
    }
  });
});

describe('readGitAttribution on real checkouts', { timeout: 30_000 }, () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-git-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  function checkout(name: string, head: string, config: string | null): string {
    const dir = path.join(root, name);
    mkdirSync(path.join(dir, '.git'), { recursive: true });
    writeFileSync(path.join(dir, '.git', 'HEAD'), head);
    if (config !== null) writeFileSync(path.join(dir, '.git', 'config'), config);
    return dir;
  }
  const CONFIG = [
    '[core]',
    '\trepositoryformatversion = 0',
    '[remote "upstream"]',
    '\turl = https://github.com/other/fork.git',
    '[remote "origin"]',
    '\turl = https://bob:hunter2@github.com/acme/api.git',
    '\tfetch = +refs/heads/*:refs/remotes/origin/*',
    '[branch "main"]',
    '\tremote = origin',
    '',
  ].join('\n');

  it('reads the branch from HEAD and the repository from the origin remote, from a subfolder too', () => {
    const dir = checkout('api', 'ref: refs/heads/feature/billing-v2\n', CONFIG);
    mkdirSync(path.join(dir, 'src', 'deep'), { recursive: true });
    assert.deepEqual(readGitAttribution(dir), { branch: 'feature/billing-v2', repo: 'github.com/acme/api' });
    assert.deepEqual(readGitAttribution(path.join(dir, 'src', 'deep')), { branch: 'feature/billing-v2', repo: 'github.com/acme/api' });
  });

  it('a detached HEAD names no branch; no origin names no repository; no checkout names nothing', () => {
    const detached = checkout('detached', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\n', CONFIG);
    assert.deepEqual(readGitAttribution(detached), { repo: 'github.com/acme/api' });
    const local = checkout(
      'local',
      'ref: refs/heads/main\n',
      '[core]\n\tbare = false\n[remote "upstream"]\n\turl = git@github.com:x/y.git\n',
    );
    assert.deepEqual(readGitAttribution(local), { branch: 'main' });
    const plain = path.join(root, 'plain');
    mkdirSync(plain);
    // the temp folder is not inside a checkout (os.tmpdir() never is here)
    assert.deepEqual(readGitAttribution(plain), {});
    assert.deepEqual(readGitAttribution(path.join(root, 'does-not-exist')), {});
  });

  it('follows a linked worktree: HEAD from its own git dir, config from the common one', () => {
    const main = checkout('main-repo', 'ref: refs/heads/main\n', CONFIG);
    const wtGit = path.join(main, '.git', 'worktrees', 'hotfix');
    mkdirSync(wtGit, { recursive: true });
    writeFileSync(path.join(wtGit, 'HEAD'), 'ref: refs/heads/hotfix-42\n');
    writeFileSync(path.join(wtGit, 'commondir'), '../..\n');
    const wt = path.join(root, 'hotfix');
    mkdirSync(wt);
    writeFileSync(path.join(wt, '.git'), `gitdir: ${wtGit}\n`);
    assert.deepEqual(readGitAttribution(wt), { branch: 'hotfix-42', repo: 'github.com/acme/api' });
  });

  it('never throws on garbage, and reads only the start of a huge config', () => {
    const junk = checkout('junk', '\u0000\u0001garbage', '\u0000'.repeat(10));
    assert.deepEqual(readGitAttribution(junk), {});
    // origin after 300 KiB of filler is beyond the 256 KiB read: not found, and nothing is guessed
    const big = checkout(
      'big',
      'ref: refs/heads/main\n',
      `[core]\n#${'x'.repeat(300 * 1024)}\n[remote "origin"]\n\turl = git@h.example:a/b.git\n`,
    );
    assert.deepEqual(readGitAttribution(big), { branch: 'main' });
    const badFile = path.join(root, 'badwt');
    mkdirSync(badFile);
    writeFileSync(path.join(badFile, '.git'), 'not a gitdir line');
    assert.deepEqual(readGitAttribution(badFile), {});
  });

  it('originUrl takes quoted values and ignores other sections', () => {
    assert.equal(originUrl('[remote "origin"]\n  URL = "git@github.com:acme/api.git"\n'), 'git@github.com:acme/api.git');
    assert.equal(originUrl('[remote "originals"]\n url = a\n'), undefined);
  });

  it('the cache answers from memory until its time is up, then reads the checkout again', () => {
    const dir = checkout('moving', 'ref: refs/heads/one\n', CONFIG);
    let t = 1_000;
    const read = cachedGitAttribution(2_000, () => t);
    assert.equal(read(dir).branch, 'one');
    writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/two\n');
    t += 1_999;
    assert.equal(read(dir).branch, 'one', 'within 2 s: cached');
    t += 1;
    assert.equal(read(dir).branch, 'two', 'after 2 s: read again');
  });
});
