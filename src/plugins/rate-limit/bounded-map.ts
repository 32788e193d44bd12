/**
 * A Map with a cap on its keys, evicting the least recently used one (Map keeps insertion order;
 * a hit moves its key to the end). Rate-limit state is keyed by client, so without a cap a flood
 * of distinct addresses or header values would grow memory without bound. An evicted key simply
 * starts over with a fresh allowance; the least recently used bucket is also the one most likely
 * to have refilled anyway.
 */
export class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  /**
   * A long-lived iterator at the oldest key. Everything before it was evicted or moved to the end
   * (a hit re-inserts), so its next key is the least recently used one. A fresh `keys()` per
   * eviction would rescan the deleted slots at the front of the table (seconds per million).
   */
  private cursor: IterableIterator<string> = this.map.keys();

  constructor(readonly maxKeys: number) {
    if (!(Number.isInteger(maxKeys) && maxKeys >= 1)) throw new Error(`maxKeys must be a positive integer, got ${maxKeys}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The value for `key`, marked as most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  /** Stores `value`, evicting the least recently used keys to stay within `maxKeys`. */
  set(key: string, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else while (this.map.size >= this.maxKeys) this.evictOldest();
    this.map.set(key, value);
  }

  private evictOldest(): void {
    let next = this.cursor.next();
    if (next.done === true) {
      // A finished iterator stays finished: start a new one at the (new) front.
      this.cursor = this.map.keys();
      next = this.cursor.next();
    }
    if (next.done !== true) this.map.delete(next.value);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }
}
