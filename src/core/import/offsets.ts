/**
 * The read offsets of every log file, as the importer holds them between saves: loaded from the data
 * directory on first use, saved only after the records they cover are stored, and forgotten when an
 * append fails (they may then be ahead of the ledger; the saved ones are behind it, which only means
 * re-reading lines whose ids the ledger already holds).
 */
import type { Logger } from '../ports';
import { loadOffsets, saveChanged, type Journal } from './state';
import type { FileState } from './tailer';
import { errorMessage } from '../errors';

export class Offsets {
  private files: Map<string, FileState> | null = null;
  private dirty = false;
  /** The files set or pruned since the last save: a save of a few is an append to the journal (state.ts). */
  private changed = new Set<string>();
  private journal: Journal | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly logger: Logger,
  ) {}

  /** False before the first load, and after forget(). */
  get loaded(): boolean {
    return this.files !== null;
  }

  /** The offsets, loaded from the data directory if they are not held. */
  async load(): Promise<Map<string, FileState>> {
    if (!this.files) {
      const saved = await loadOffsets(this.dataDir, this.logger);
      this.files ??= saved.files;
      this.journal = saved.journal;
    }
    return this.files;
  }

  get(file: string): FileState | undefined {
    return this.files?.get(file);
  }

  set(file: string, state: FileState): void {
    if (!this.files) return;
    this.files.set(file, state);
    this.changed.add(file);
    this.dirty = true;
  }

  /** Forgets files that are gone (the agents delete old transcripts; their records stay in the ledger). */
  prune(known: ReadonlyMap<string, unknown>): void {
    if (!this.files) return;
    for (const f of [...this.files.keys()]) {
      if (known.has(f)) continue;
      this.files.delete(f);
      this.changed.add(f);
      this.dirty = true;
    }
  }

  /** Drops what is held and unsaved: the next read starts from the saved offsets. */
  forget(): void {
    this.files = null;
    this.dirty = false;
    this.changed = new Set();
    this.journal = null;
  }

  get unsaved(): boolean {
    return this.files !== null && this.dirty;
  }

  /** Saves what changed; false when the save failed (said in a warning), true when nothing is left unsaved. */
  async save(): Promise<boolean> {
    if (!this.files || !this.dirty) return true;
    this.dirty = false;
    const changed = this.changed;
    this.changed = new Set();
    try {
      this.journal = await saveChanged(this.dataDir, this.files, changed, this.journal);
      return true;
    } catch (err) {
      this.dirty = true;
      for (const f of changed) this.changed.add(f);
      this.logger.warn(
        `agent logs: could not save read offsets in ${this.dataDir} (${errorMessage(err)}); the next start reads more than it needs, without counting twice`,
      );
      return false;
    }
  }
}
