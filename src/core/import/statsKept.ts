/**
 * The stats one scan took of its files, kept until the read that uses them. A re-run stats every log
 * (thousands) and keeps each stat in case the file turns out to have grown; kept as Stats objects, they
 * outlived the young-generation collections of that short process, which copied them again each time
 * (~10 ms of a 0.24 s re-run on a 2,768-file history). Here they are numbers in typed arrays, a few
 * objects in all, and a stat is rebuilt only for the file that asks.
 */
import type { Stats } from 'node:fs';

/** What a read needs of a stat (tailer.ts readFileUpdate's `stat`). */
export interface KeptStat {
  ino: number;
  dev: number;
  size: number;
  mtimeMs: number;
  isFile(): boolean;
}

const FIELDS = 4; // ino, dev, size, mtimeMs
const GONE = 0;
const FILE = 1;
const OTHER = 2;

export class StatsKept {
  private readonly slot = new Map<string, number>();
  private nums = new Float64Array(256 * FIELDS);
  private kind = new Uint8Array(256);
  private used = 0;

  set(file: string, st: Stats): void {
    let i = this.slot.get(file);
    if (i === undefined) {
      i = this.used++;
      if (i === this.kind.length) this.grow();
      this.slot.set(file, i);
    }
    const at = i * FIELDS;
    this.nums[at] = st.ino;
    this.nums[at + 1] = st.dev;
    this.nums[at + 2] = st.size;
    this.nums[at + 3] = st.mtimeMs;
    this.kind[i] = st.isFile() ? FILE : OTHER;
  }

  get(file: string): KeptStat | undefined {
    const i = this.slot.get(file);
    if (i === undefined || this.kind[i] === GONE) return undefined;
    const at = i * FIELDS;
    const isFile = this.kind[i] === FILE;
    return { ino: this.nums[at]!, dev: this.nums[at + 1]!, size: this.nums[at + 2]!, mtimeMs: this.nums[at + 3]!, isFile: () => isFile };
  }

  /** Whether the kept stat of a regular file is the one `state` records (tailer.ts sameFile), without building a stat. */
  same(file: string, state: { ino: number; dev: number; size: number; mtimeMs: number } | undefined): boolean {
    const i = this.slot.get(file);
    if (state === undefined || i === undefined || this.kind[i] !== FILE) return false;
    const at = i * FIELDS;
    const n = this.nums;
    return n[at] === state.ino && n[at + 1] === state.dev && n[at + 2] === state.size && n[at + 3] === state.mtimeMs;
  }

  /** The kept size, or undefined when none is kept. */
  size(file: string): number | undefined {
    const i = this.slot.get(file);
    return i === undefined || this.kind[i] === GONE ? undefined : this.nums[i * FIELDS + 2];
  }

  delete(file: string): void {
    const i = this.slot.get(file);
    if (i !== undefined) this.kind[i] = GONE;
  }

  clear(): void {
    this.slot.clear();
    this.used = 0;
  }

  private grow(): void {
    const nums = new Float64Array(this.nums.length * 2);
    nums.set(this.nums);
    const kind = new Uint8Array(this.kind.length * 2);
    kind.set(this.kind);
    this.nums = nums;
    this.kind = kind;
  }
}
