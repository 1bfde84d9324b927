/**
 * A store in RAM: the client's default until a flash store is configured, and the tests'.
 * Nothing survives a reboot, but everything survives a reconnect, and a second client built on
 * the same MemoryStore recovers its queues from it exactly as it would from flash.
 *
 * Bodies live in chunk chains (core/chunks.ts), so any mix of sizes fits without fragmentation;
 * live records are chained in append order by `older`/`newer`. Sized once.
 */
import { Chunks } from "../core/chunks";
import { Store, STORE_FULL } from "./store";

/** Bytes per chunk: a short sensor reading wastes little, a long one needs few links. */
export const STORE_CHUNK_SIZE: i32 = 64;

export class MemoryStore extends Store {
  readonly chunks: Chunks;

  /** Per record slot: kind (0 = free), state, packet id, body length, first chunk. */
  readonly kinds: Uint8Array;
  readonly states: Uint8Array;
  readonly packetIds: Int32Array;
  readonly lengths: Int32Array;
  readonly firstChunk: Int32Array;
  /** Append order: the previous and next live record, or -1. */
  readonly older: Int32Array;
  readonly newer: Int32Array;
  oldest: i32 = -1;
  newest: i32 = -1;
  /** Free record slots, a stack. */
  readonly freeSlots: Int32Array;
  freeSlotCount: i32 = 0;

  constructor(recordCountMax: i32, bytesMax: i32) {
    super();
    this.chunks = new Chunks(((bytesMax + STORE_CHUNK_SIZE - 1) / STORE_CHUNK_SIZE) | 0, STORE_CHUNK_SIZE);
    this.kinds = new Uint8Array(recordCountMax);
    this.states = new Uint8Array(recordCountMax);
    this.packetIds = new Int32Array(recordCountMax);
    this.lengths = new Int32Array(recordCountMax);
    this.firstChunk = new Int32Array(recordCountMax);
    this.older = new Int32Array(recordCountMax);
    this.newer = new Int32Array(recordCountMax);
    this.freeSlots = new Int32Array(recordCountMax);
    for (let i = 0; i < recordCountMax; i++) this.freeSlots[i] = recordCountMax - 1 - i;
    this.freeSlotCount = recordCountMax;
  }

  fits(length: i32): bool {
    return this.freeSlotCount > 0 && this.chunks.needed(length) <= this.chunks.freeCount;
  }

  append(kind: i32, state: i32, packetId: i32, source: Uint8Array, offset: i32, length: i32): i32 {
    if (!this.fits(length)) return STORE_FULL;
    this.freeSlotCount--;
    const record = this.freeSlots[this.freeSlotCount];
    this.kinds[record] = kind;
    this.states[record] = state;
    this.packetIds[record] = packetId;
    this.lengths[record] = length;
    const first = this.chunks.take(this.chunks.needed(length));
    this.firstChunk[record] = first;
    this.chunks.write(first, 0, source, offset, length);
    // Link it as the newest record.
    this.older[record] = this.newest;
    this.newer[record] = -1;
    if (this.newest >= 0) this.newer[this.newest] = record;
    else this.oldest = record;
    this.newest = record;
    return record;
  }

  update(record: i32, state: i32, packetId: i32): i32 {
    this.states[record] = state;
    this.packetIds[record] = packetId;
    return 0;
  }

  remove(record: i32): i32 {
    if (this.kinds[record] == 0) return 0;
    this.chunks.release(this.firstChunk[record]);
    const older = this.older[record];
    const newer = this.newer[record];
    if (older >= 0) this.newer[older] = newer;
    else this.oldest = newer;
    if (newer >= 0) this.older[newer] = older;
    else this.newest = older;
    this.kinds[record] = 0;
    this.freeSlots[this.freeSlotCount] = record;
    this.freeSlotCount++;
    return 0;
  }

  read(record: i32, target: Uint8Array, offset: i32): i32 {
    const length = this.lengths[record];
    this.chunks.read(this.firstChunk[record], 0, length, target, offset);
    return length;
  }

  kind(record: i32): i32 {
    const kind: i32 = this.kinds[record];
    return kind;
  }

  state(record: i32): i32 {
    const state: i32 = this.states[record];
    return state;
  }

  packetId(record: i32): i32 {
    return this.packetIds[record];
  }

  first(): i32 {
    return this.oldest;
  }

  next(record: i32): i32 {
    return this.newer[record];
  }
}
