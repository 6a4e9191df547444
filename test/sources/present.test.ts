import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSource, summariseSources, type SourceStatus } from '../../src/core/import';

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

describe("the agent's own cost beside ours", { timeout: 10_000 }, () => {
  it('shows both only when they differ by more than a cent', () => {
    const line = (agentNanos: number, ourNanos: number) =>
      describeSource(status('pi', { interactions: 2, agentCost: { agentNanos, ourNanos } }), '/home/dev');
    // $1.25 vs $1.24: 10,000,000 n$ apart, a cent exactly, so the same figure
    assert.equal(line(1_250_000_000, 1_240_000_000), 'pi: 1 file, 2 interactions (~/.pi)');
    // one nano more than a cent apart
    assert.equal(line(1_250_000_001, 1_240_000_000), 'pi: 1 file, 2 interactions, pi says $1.25, priced here $1.24 (~/.pi)');
    assert.equal(line(0, 20_000_000), 'pi: 1 file, 2 interactions, pi says $0.00, priced here $0.02 (~/.pi)');
  });
});
