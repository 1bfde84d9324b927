/**
 * Byte chains in fixed-size chunks: any mix of lengths fits in one preallocated area without
 * fragmentation, and a chain costs only the chunks it needs. Chunks are linked by `next`; the
 * free ones form a chain of their own. Used by the broker's message pool and the client's
 * memory store; sized once by the constructor.
 */
export class Chunks {
  /** Bytes per chunk. */
  readonly size: i32;
  readonly data: Uint8Array;
  /** Next chunk of a chain, or -1 at its end. */
  readonly next: Int32Array;
  private free: i32 = -1;
  freeCount: i32 = 0;

  constructor(count: i32, size: i32) {
    const next = new Int32Array(count);
    for (let i = 0; i < count; i++) next[i] = i + 1 < count ? i + 1 : -1;
    this.size = size;
    this.data = new Uint8Array(count * size);
    this.next = next;
    this.free = count > 0 ? 0 : -1;
    this.freeCount = count;
  }

  get count(): i32 {
    return this.next.length;
  }

  /** Chunks a chain of `length` bytes needs. */
  needed(length: i32): i32 {
    return ((length + this.size - 1) / this.size) | 0;
  }

  /** Takes a chain of `chunks` chunks (the caller checked `freeCount`). Returns its first, or -1 for none. */
  take(chunks: i32): i32 {
    const first = chunks > 0 ? this.free : -1;
    let last: i32 = -1;
    for (let i = 0; i < chunks; i++) {
      last = this.free;
      this.free = this.next[last];
    }
    if (last >= 0) this.next[last] = -1;
    this.freeCount -= chunks;
    return first;
  }

  /** Gives the chain starting at `first` back. */
  release(first: i32): void {
    let chunk = first;
    while (chunk >= 0) {
      const next = this.next[chunk];
      this.next[chunk] = this.free;
      this.free = chunk;
      this.freeCount++;
      chunk = next;
    }
  }

  /** Copies `source[offset .. offset+length)` into the chain at `first`, from its byte `at`. */
  write(first: i32, at: i32, source: Uint8Array, offset: i32, length: i32): void {
    let chunk = this.chunkAt(first, at);
    let within = at % this.size;
    let done: i32 = 0;
    while (done < length) {
      const room = this.size - within;
      const step = length - done < room ? length - done : room;
      bytesCopy(this.data, chunk * this.size + within, source, offset + done, step);
      done += step;
      within = 0;
      if (done < length) chunk = this.next[chunk];
    }
  }

  /** Copies `length` bytes from byte `at` of the chain at `first` to `target[offset ..)`. */
  read(first: i32, at: i32, length: i32, target: Uint8Array, offset: i32): void {
    if (length == 0) return;
    let chunk = this.chunkAt(first, at);
    let within = at % this.size;
    let done: i32 = 0;
    while (done < length) {
      const room = this.size - within;
      const step = length - done < room ? length - done : room;
      bytesCopy(target, offset + done, this.data, chunk * this.size + within, step);
      done += step;
      within = 0;
      if (done < length) chunk = this.next[chunk];
    }
  }

  /** The chunk holding byte `at` of the chain at `first`. */
  private chunkAt(first: i32, at: i32): i32 {
    let chunk = first;
    for (let skip = (at / this.size) | 0; skip > 0; skip--) chunk = this.next[chunk];
    return chunk;
  }
}
