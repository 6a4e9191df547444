import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summariseSources, type SourceStatus } from '../../src/core/sources';

const status = (label: string, over: Partial<SourceStatus> = {}): SourceStatus => ({
  id: 'claude-code',
  label,
  enabled: true,
  roots: [{ path: `/home/dev/.${label}`, exists: true }],
  files: 1,
  interactions: 0,
  malformedLines: 0,
  ...over,
});

describe('the tooltip line that sums up the agent logs read', { timeout: 10_000 }, () => {
  it('names the agents found with their counts, and counts those not found or turned off instead of listing paths', () => {
    const line = summariseSources([
      status('Claude Code', { interactions: 3456 }),
      status('Codex', { interactions: 1 }),
      status('Gemini CLI', { roots: [{ path: '/home/dev/.gemini/tmp', exists: false }] }),
      status('Cline', {
        roots: [
          { path: '/a', exists: false },
          { path: '/b', exists: false },
        ],
      }),
      status('Roo Code', { enabled: false }),
    ]);
    assert.equal(line, 'Claude Code (3,456 interactions), Codex (1 interaction) · 2 other agents not found · 1 turned off');
    assert.doesNotMatch(line, /\//, 'no path in the hover: they are one click away');
  });

  it('says so when no agent log was found at all', () => {
    assert.equal(
      summariseSources([status('Codex', { roots: [{ path: '/x', exists: false }] })]),
      'no agent logs found yet · looked for 1 agent',
    );
  });
});
