/**
 * The read offsets of every log file, as the importer holds them between saves: loaded from the data
 * directory on first use, saved only after the records they cover are stored, and forgotten when an
 * append fails (they may then be ahead of the ledger; the saved ones are behind it, which only means
 * re-reading lines whose ids the ledger already holds).
 */
import type { Logger } from '../ports';
import { loadSourceState, saveSourceState } from './state';
import type { FileState } from './tailer';
import { errorMessage } from '../errors';

export class Offsets {
  private files: Map<string, FileState> | null = null;
  private dirty = false;

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
    return (this.files ??= await loadSourceState(this.dataDir, this.logger));
  }

  get(file: string): FileState | undefined {
    return this.files?.get(file);
  }

  set(file: string, state: FileState): void {
    this.files?.set(file, state);
    this.dirty = true;
  }

  /** Forgets files that are gone (the agents delete old transcripts; their records stay in the ledger). */
  prune(known: ReadonlyMap<string, unknown>): void {
    if (!this.files) return;
    for (const f of [...this.files.keys()]) {
      if (known.has(f)) continue;
      this.files.delete(f);
      this.dirty = true;
    }
  }

  /** Drops what is held and unsaved: the next read starts from the saved offsets. */
  forget(): void {
    this.files = null;
    this.dirty = false;
  }

  get unsaved(): boolean {
    return this.files !== null && this.dirty;
  }

  /** Saves what changed; false when the save failed (said in a warning), true when nothing is left unsaved. */
  async save(): Promise<boolean> {
    if (!this.files || !this.dirty) return true;
    this.dirty = false;
    try {
      await saveSourceState(this.dataDir, this.files);
      return true;
    } catch (err) {
      this.dirty = true;
      this.logger.warn(
        `agent logs: could not save read offsets in ${this.dataDir} (${errorMessage(err)}); the next start reads more than it needs, without counting twice`,
      );
      return false;
    }
  }
}
