/**
 * One record per id, the copy with the largest token total, in order of first appearance; and one record
 * per request seen both in telemetry and in a log or the gateway (twins.ts), the log or gateway copy.
 *
 * The id index is an open-addressing hash table over typed arrays rather than a Map: snapshots
 * store each id's hash, so opening a year of history (~500,000 ids) fills the table without
 * hashing a single string, about ten times faster than Map.set here.
 */
import { moreComplete, type Interaction } from '../interaction';
import { Twins } from './twins';

/** FNV-1a over UTF-16 code units. Stored in snapshots: changing it needs a new snapshot version. */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** What offer() did. */
export const ADDED = 0;
export const REPLACED = 1;
export const KEPT = 2;
export type Offer = typeof ADDED | typeof REPLACED | typeof KEPT;

export class View {
  readonly records: Interaction[] = [];
  /** hashes[i] = hashId(records[i].id) */
  private hashes = new Uint32Array(1024);
  /**
   * Pairs [hash, index + 1] (0 = empty slot), the hash beside the index so that a probe touches one
   * cache line; the number of pairs is a power of two and at most half of them are used.
   */
  private slots = new Uint32Array(2 * 2048);
  /** Slots in use, counting those left stale when a twin took a record's place (rehash drops them). */
  private used = 0;
  /** Null until the first `otel` record: a ledger without telemetry pays nothing for the twin rule. */
  private twins: Twins | null = null;

  get size(): number {
    return this.records.length;
  }

  /** hashId of each record's id, parallel to `records`. */
  hashList(): Uint32Array {
    return this.hashes.subarray(0, this.records.length);
  }

  indexOf(id: string, h: number = hashId(id)): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      // A slot holds (hash, index + 1) of a record in `records`, or (0, 0) when free.
      const v = slots[2 * s + 1]!;
      if (v === 0) return -1;
      if (slots[2 * s] === h && this.records[v - 1]?.id === id) return v - 1;
    }
  }

  /** Makes room for `n` more records without rehashing on the way. */
  reserve(n: number): void {
    const want = this.records.length + n;
    if (want > this.hashes.length) {
      const grown = new Uint32Array(want);
      grown.set(this.hashes.subarray(0, this.records.length));
      this.hashes = grown;
    }
    let cap = this.slots.length >> 1;
    while ((want + this.used - this.records.length) * 2 > cap) cap *= 2;
    if (cap !== this.slots.length >> 1) this.rehash(cap);
  }

  get(id: string): Interaction | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : this.records[i];
  }

  /** Adds `r` if its id is new, replaces the stored copy if `r` has more tokens, else keeps it. */
  offer(r: Interaction, h: number = hashId(r.id)): Offer {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let s = h & mask;
    // Only a matching hash reads a record: a new id costs no visit to scattered heap objects.
    for (let v = slots[2 * s + 1]!; v !== 0; s = (s + 1) & mask, v = slots[2 * s + 1]!) {
      if (slots[2 * s] !== h) continue;
      const cur = this.records[v - 1];
      if (cur?.id !== r.id) continue;
      if (!moreComplete(r, cur)) return KEPT;
      this.records[v - 1] = r;
      if (this.twins) this.completed(v - 1, r);
      return REPLACED;
    }
    if (!this.twins && r.source === 'otel') this.twins = new Twins(this.records);
    if (this.twins) {
      const o = this.joinTwin(r, h);
      if (o !== null) return o;
      this.twins.add(this.records.length, r);
    }
    const n = this.records.length;
    if (n === this.hashes.length) {
      const grown = new Uint32Array(n * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[n] = h;
    this.records.push(r);
    if ((this.used + 1) * 2 > slots.length >> 1) this.rehash(slots.length);
    else {
      slots[2 * s] = h;
      slots[2 * s + 1] = n + 1;
      this.used++;
    }
    return ADDED;
  }

  /** Whether offering `r` would leave the view as it is because its log or gateway twin is there (twins.ts). */
  absorbs(r: Interaction): boolean {
    if (r.source !== 'otel' || this.indexOf(r.id) >= 0) return false;
    this.twins ??= new Twins(this.records);
    return this.twins.isAbsorbed(r.id) || this.twins.partner(r, this.records) >= 0;
  }

  /** A new id that is a twin of a stored record: the log or gateway copy is the one kept. Null: no twin. */
  private joinTwin(r: Interaction, h: number): Offer | null {
    const twins = this.twins!;
    if (r.source === 'otel' && twins.isAbsorbed(r.id)) return KEPT;
    const j = twins.partner(r, this.records);
    if (j < 0) return null;
    if (r.source === 'otel') {
      twins.pair(r.id, this.records[j]!.id);
      return KEPT;
    }
    twins.pair(this.records[j]!.id, r.id);
    this.records[j] = r;
    this.hashes[j] = h;
    twins.add(j, r);
    this.placeCounted(h, j);
    return REPLACED;
  }

  /**
   * A log copy completed under its id (streamed output, read again): if it now has an `otel` twin in the
   * view, that twin leaves, its place taken by the last record (order is of first appearance but for this).
   */
  private completed(i: number, r: Interaction): void {
    const twins = this.twins!;
    twins.add(i, r);
    if (r.source === 'otel' || twins.stands(r.id)) return;
    const j = twins.partner(r, this.records);
    if (j < 0) return;
    twins.pair(this.records[j]!.id, r.id);
    const last = this.records.length - 1;
    if (j !== last) {
      this.records[j] = this.records[last]!;
      this.hashes[j] = this.hashes[last]!;
      twins.add(j, this.records[j]);
      this.records.pop();
      this.placeCounted(this.hashes[j], j);
    } else this.records.pop();
  }

  private placeCounted(h: number, i: number): void {
    if ((this.used + 1) * 2 > this.slots.length >> 1) return this.rehash(this.slots.length >> 1);
    this.place(h, i);
    this.used++;
  }

  private place(h: number, i: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let s = h & mask;
    while (slots[2 * s + 1] !== 0) s = (s + 1) & mask;
    slots[2 * s] = h;
    slots[2 * s + 1] = i + 1;
  }

  /** `capacity` pairs. */
  private rehash(capacity: number): void {
    while (this.records.length * 2 > capacity) capacity *= 2;
    this.slots = new Uint32Array(2 * capacity);
    for (let i = 0; i < this.records.length; i++) this.place(this.hashes[i]!, i);
    this.used = this.records.length;
  }
}
