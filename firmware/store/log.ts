/**
 * The QoS store on flash: an append-only log of CRC-checked records over a ring of sectors, so a
 * power cut at any byte leaves either the old state or the new one (DESIGN.md §5).
 *
 * Sector: a header, then records back to back, each aligned to the flash's write size.
 *   header (16 B): magic "WRL1" | sector sequence u32 (grows along the log) | erase count u32 |
 *                  CRC-32 of the first 12 bytes
 *   A sector without a valid header is free (erased, or torn by a cut mid-erase or mid-header).
 * Record: a 16-byte header, the body, padding to the write size.
 *   kind u8 | state u8 | body length u16 | record id u32 | packet id u16 | 0xFFFF |
 *   CRC-32 of the header's first 12 bytes and the body
 *   kind KIND_UPDATE carries a new state and packet id for the record with that id (no body);
 *   state STATE_REMOVED in an update is a tombstone. A kind byte of 0xFF ends a sector's records;
 *   a record whose CRC fails (a torn write) ends them too, and the sector takes no more appends.
 *
 * Identity and order: a record keeps its id for life, copies included, and ids grow in append
 * order, so iterating by id is iterating in the order the caller appended — whatever sector a
 * record was moved to.
 *
 * Recovery (the constructor's `recover`): sectors are replayed by sequence; a data record sets
 * its id's entry (a later copy replaces an earlier one), an update changes it, a tombstone drops
 * it. The RAM index (`recordCountMax` entries) is all that is kept; bodies stay in flash.
 *
 * Space: sectors are used in ring order. When the active sector is full the next one is taken;
 * when that would leave no free sector, the oldest is compacted first — the records it still
 * holds live are copied to the active sector with their current state, then it is erased — so
 * every sector is erased in turn (wear levelling) and one is always free. A cut during
 * compaction leaves the copies and the originals: the copies, being later, win. Data appends are
 * refused (STORE_FULL) once live data would need more than all sectors but two, which keeps
 * room for the updates and tombstones that finish flows, and for compaction itself.
 */
import { CRC32_START, crc32Final, crc32Update } from "../core/crc32";
import { Flash } from "../hal/flash";
import { STORE_FAILED, STORE_FULL, Store } from "./store";

const MAGIC: i32 = 0x57524c31; // "WRL1"
const HEADER_SIZE: i32 = 16;
const RECORD_HEADER_SIZE: i32 = 16;
/** Kind of an update record; data kinds are the Store's RECORD_* (1..126). */
const KIND_UPDATE: i32 = 0x7f;
const KIND_NONE: i32 = 0xff;
/** State of a tombstone update. */
const STATE_REMOVED: i32 = 0xfe;

export class LogStore extends Store {
  readonly flash: Flash;
  private readonly sectorSize: i32;
  private readonly sectorCount: i32;
  private readonly writeSize: i32;
  /** Per sector: its sequence (0 = free) and erase count (from its header, then kept here). */
  readonly sectorSequence: Int32Array;
  readonly sectorErases: Int32Array;
  /** Per sector: erased by us since it was last used, so starting it needs no second erase. */
  private readonly sectorClean: Uint8Array;
  private active: i32 = -1;
  /** Next free offset in the active sector, or sectorSize once it is sealed. */
  private writePoint: i32 = 0;
  private sequenceLast: i32 = 0;
  private idNext: i32 = 1;

  /** The index: per slot, the record's id (0 = free slot), where it is, and what it says. */
  private readonly ids: Int32Array;
  private readonly sectors: Int32Array;
  private readonly offsets: Int32Array;
  private readonly kinds: Uint8Array;
  private readonly states: Uint8Array;
  private readonly packetIds: Int32Array;
  private readonly lengths: Int32Array;
  /** Slots in id order (append order); `orderCount` of them. */
  private readonly order: Int32Array;
  private orderCount: i32 = 0;
  /** Where `slotTake` looks first. */
  private slotHint: i32 = 0;
  /** Bytes of live data records, as stored (headers and padding included). */
  private liveBytes: i32 = 0;

  private readonly staging: Uint8Array;
  private readonly header: Uint8Array = new Uint8Array(RECORD_HEADER_SIZE);
  /** Records whose CRC failed during recovery, for the caller to report. */
  corruptRecords: i32 = 0;

  constructor(flash: Flash, recordCountMax: i32, bodySizeMax: i32) {
    super();
    this.flash = flash;
    this.sectorSize = flash.sectorSize;
    this.sectorCount = flash.sectorCount;
    this.writeSize = flash.writeSize;
    this.sectorSequence = new Int32Array(flash.sectorCount);
    this.sectorErases = new Int32Array(flash.sectorCount);
    this.sectorClean = new Uint8Array(flash.sectorCount);
    this.ids = new Int32Array(recordCountMax);
    this.sectors = new Int32Array(recordCountMax);
    this.offsets = new Int32Array(recordCountMax);
    this.kinds = new Uint8Array(recordCountMax);
    this.states = new Uint8Array(recordCountMax);
    this.packetIds = new Int32Array(recordCountMax);
    this.lengths = new Int32Array(recordCountMax);
    this.order = new Int32Array(recordCountMax);
    const recordMax = alignTo(RECORD_HEADER_SIZE + bodySizeMax, flash.writeSize);
    const headerSize = alignTo(HEADER_SIZE, flash.writeSize);
    this.staging = new Uint8Array(recordMax > headerSize ? recordMax : headerSize);
  }

  // ---- recovery -----------------------------------------------------------------------------------

  /**
   * Rebuilds the index from the flash (at start-up; also after a power cut). Returns 0, or
   * STORE_FAILED when the flash cannot be read or a needed erase fails.
   */
  recover(): i32 {
    this.orderCount = 0;
    this.liveBytes = 0;
    this.ids.fill(0);
    this.corruptRecords = 0;
    this.active = -1;
    this.sequenceLast = 0;
    this.idNext = 1;
    const header = this.header;
    for (let sector = 0; sector < this.sectorCount; sector++) {
      this.sectorSequence[sector] = 0;
      this.sectorClean[sector] = 0;
      if (this.flash.read(sector * this.sectorSize, header, 0, HEADER_SIZE) != 0) return STORE_FAILED;
      if (readU32(header, 0) != MAGIC || readU32(header, 12) != crc32Final(crc32Update(CRC32_START, header, 0, 12))) continue;
      this.sectorSequence[sector] = readU32(header, 4);
      this.sectorErases[sector] = readU32(header, 8);
      if (this.sectorSequence[sector] > this.sequenceLast) {
        this.sequenceLast = this.sectorSequence[sector];
        this.active = sector;
      }
    }
    // Replay the sectors in sequence order.
    let previous: i32 = 0;
    for (;;) {
      let sector: i32 = -1;
      for (let s = 0; s < this.sectorCount; s++) {
        const sequence = this.sectorSequence[s];
        if (sequence > previous && (sector < 0 || sequence < this.sectorSequence[sector])) sector = s;
      }
      if (sector < 0) break;
      previous = this.sectorSequence[sector];
      const end = this.replay(sector);
      if (end < 0) return STORE_FAILED;
      if (sector == this.active) this.writePoint = end;
    }
    // A cut between a compaction's copies and its erase leaves no sector free: finish it now,
    // into the sector it was copying to (which had room for all of it).
    if (this.active >= 0 && this.freeCount() == 0) {
      if (this.writePoint < this.sectorSize) return this.compact(this.oldest());
      // The cut tore one of the copies, sealing that sector. It holds nothing but copies of
      // records whose originals and later updates are intact elsewhere: erase it and replay
      // again, with a free sector this time (so this happens once).
      if (this.flash.erase(this.active) != 0) return STORE_FAILED;
      return this.recover();
    }
    return 0;
  }

  /** Replays one sector's records into the index. Returns where its valid records end, or STORE_FAILED. */
  private replay(sector: i32): i32 {
    const base = sector * this.sectorSize;
    let offset = this.align(HEADER_SIZE);
    const header = this.header;
    while (offset + RECORD_HEADER_SIZE <= this.sectorSize) {
      if (this.flash.read(base + offset, header, 0, RECORD_HEADER_SIZE) != 0) return STORE_FAILED;
      const kind: i32 = header[0];
      if (kind == KIND_NONE && this.erased(header, RECORD_HEADER_SIZE)) return offset;
      const length = readU16(header, 2);
      const size = this.align(RECORD_HEADER_SIZE + length);
      if (offset + size > this.sectorSize || length > this.staging.length - RECORD_HEADER_SIZE) {
        this.corruptRecords++;
        return this.sectorSize; // a torn header: nothing after it can be trusted; sealed
      }
      if (this.flash.read(base + offset + RECORD_HEADER_SIZE, this.staging, 0, length) != 0) return STORE_FAILED;
      let crc = crc32Update(CRC32_START, header, 0, 12);
      crc = crc32Final(crc32Update(crc, this.staging, 0, length));
      if (crc != readU32(header, 12)) {
        this.corruptRecords++;
        return this.sectorSize; // a torn or corrupted record: reported, not delivered; sealed
      }
      const id = readU32(header, 4);
      const state: i32 = header[1];
      const packetId = readU16(header, 8);
      if (id >= this.idNext) this.idNext = id + 1;
      const slot = this.slotOf(id);
      if (kind == KIND_UPDATE) {
        if (slot >= 0 && state == STATE_REMOVED) this.slotFree(slot);
        else if (slot >= 0) {
          this.states[slot] = state;
          this.packetIds[slot] = packetId;
        }
      } else if (slot >= 0) {
        this.liveBytes += size - this.align(RECORD_HEADER_SIZE + this.lengths[slot]);
        this.place(slot, sector, offset, kind, state, packetId, length); // a copy: the later one wins
      } else {
        const fresh = this.slotTake(id);
        if (fresh >= 0) {
          this.place(fresh, sector, offset, kind, state, packetId, length);
          this.liveBytes += size;
        } else {
          this.corruptRecords++; // more live records than the index holds: counted, not kept
        }
      }
      offset += size;
    }
    return offset;
  }

  // ---- the Store interface ------------------------------------------------------------------------

  fits(length: i32): bool {
    if (this.orderCount == this.ids.length) return false;
    const size = this.align(RECORD_HEADER_SIZE + length);
    if (size > this.staging.length) return false;
    const usable = this.sectorSize - this.align(HEADER_SIZE);
    return this.liveBytes + size <= (this.sectorCount - 2) * usable;
  }

  append(kind: i32, state: i32, packetId: i32, source: Uint8Array, offset: i32, length: i32): i32 {
    if (!this.fits(length)) return STORE_FULL;
    const id = this.idNext;
    const at = this.write(kind, state, id, packetId, source, offset, length);
    if (at < 0) return at;
    this.idNext = id + 1;
    const slot = this.slotTake(id);
    this.place(slot, this.active, at, kind, state, packetId, length);
    this.liveBytes += this.align(RECORD_HEADER_SIZE + length);
    return slot;
  }

  update(record: i32, state: i32, packetId: i32): i32 {
    const written = this.write(KIND_UPDATE, state, this.ids[record], packetId, this.staging, 0, 0);
    this.states[record] = state;
    this.packetIds[record] = packetId;
    return written < 0 ? STORE_FAILED : 0;
  }

  remove(record: i32): i32 {
    if (this.ids[record] == 0) return 0;
    const written = this.write(KIND_UPDATE, STATE_REMOVED, this.ids[record], 0, this.staging, 0, 0);
    // Forgotten here either way: a record whose tombstone failed is not copied by compaction.
    this.liveBytes -= this.align(RECORD_HEADER_SIZE + this.lengths[record]);
    this.slotFree(record);
    return written < 0 ? STORE_FAILED : 0;
  }

  read(record: i32, target: Uint8Array, offset: i32): i32 {
    const length = this.lengths[record];
    const address = this.sectors[record] * this.sectorSize + this.offsets[record] + RECORD_HEADER_SIZE;
    if (this.flash.read(address, target, offset, length) != 0) return 0;
    return length;
  }

  kind(record: i32): i32 { const kind: i32 = this.kinds[record]; return kind; }
  state(record: i32): i32 { const state: i32 = this.states[record]; return state; }
  packetId(record: i32): i32 { return this.packetIds[record]; }
  first(): i32 { return this.orderCount > 0 ? this.order[0] : -1; }

  next(record: i32): i32 {
    const position = this.orderFind(this.ids[record]);
    return position >= 0 && position + 1 < this.orderCount ? this.order[position + 1] : -1;
  }

  /** Live records. */
  get count(): i32 {
    return this.orderCount;
  }

  // ---- writing ------------------------------------------------------------------------------------

  /** Programs one record. Returns its offset in the active sector, or STORE_FULL / STORE_FAILED. */
  private write(kind: i32, state: i32, id: i32, packetId: i32, source: Uint8Array, offset: i32, length: i32): i32 {
    const size = this.align(RECORD_HEADER_SIZE + length);
    if (size > this.staging.length) return STORE_FULL;
    const room = this.room(size);
    if (room != 0) return room;
    const staging = this.staging;
    staging[0] = kind;
    staging[1] = state;
    writeU16(staging, 2, length);
    writeU32(staging, 4, id);
    writeU16(staging, 8, packetId);
    writeU16(staging, 10, 0xffff);
    if (source != staging || offset != RECORD_HEADER_SIZE) bytesCopy(staging, RECORD_HEADER_SIZE, source, offset, length);
    let crc = crc32Update(CRC32_START, staging, 0, 12);
    crc = crc32Final(crc32Update(crc, staging, RECORD_HEADER_SIZE, length));
    writeU32(staging, 12, crc);
    for (let i = RECORD_HEADER_SIZE + length; i < size; i++) staging[i] = 0xff;
    const at = this.writePoint;
    // Never program over bytes a torn write left behind: check the place is still erased.
    if (this.flash.read(this.active * this.sectorSize + at, this.header, 0, RECORD_HEADER_SIZE) != 0) return STORE_FAILED;
    if (!this.erased(this.header, RECORD_HEADER_SIZE)) {
      this.writePoint = this.sectorSize; // seal it; the next write takes a new sector
      return this.write(kind, state, id, packetId, source, offset, length);
    }
    if (this.flash.program(this.active * this.sectorSize + at, staging, 0, size) != 0) {
      this.writePoint = this.sectorSize;
      return STORE_FAILED;
    }
    this.writePoint = at + size;
    return at;
  }

  /** Makes room for `size` bytes in the active sector: 0, or STORE_FULL / STORE_FAILED. */
  private room(size: i32): i32 {
    for (let attempt = 0; attempt <= this.sectorCount; attempt++) {
      if (this.active >= 0 && this.writePoint + size <= this.sectorSize) return 0;
      const next = this.sectorNext();
      if (next != 0) return next;
    }
    return STORE_FULL;
  }

  /**
   * Starts the next sector in ring order. Should it still hold records (a cut came between a
   * compaction's copies and its erase), those are compacted first; and when taking it leaves
   * no sector free, the oldest is compacted into it.
   */
  private sectorNext(): i32 {
    const target = this.active < 0 ? 0 : (this.active + 1) % this.sectorCount;
    if (this.sectorSequence[target] != 0) {
      const compacted = this.compact(target);
      if (compacted != 0) return compacted;
    }
    const started = this.sectorStart(target);
    if (started != 0) return started;
    if (this.freeCount() == 0) return this.compact(this.oldest());
    return 0;
  }

  /** The in-use sector with the lowest sequence, other than the active one; -1 if none. */
  private oldest(): i32 {
    let oldest: i32 = -1;
    for (let s = 0; s < this.sectorCount; s++) {
      const sequence = this.sectorSequence[s];
      if (sequence != 0 && s != this.active && (oldest < 0 || sequence < this.sectorSequence[oldest])) oldest = s;
    }
    return oldest;
  }

  private sectorStart(sector: i32): i32 {
    if (this.sectorClean[sector] == 0) { // after a reboot a free sector may hold a torn erase or header
      if (this.flash.erase(sector) != 0) return STORE_FAILED;
      this.sectorErases[sector]++;
    }
    this.sectorClean[sector] = 0;
    this.sequenceLast++;
    const header = this.header;
    writeU32(header, 0, MAGIC);
    writeU32(header, 4, this.sequenceLast);
    writeU32(header, 8, this.sectorErases[sector]);
    writeU32(header, 12, crc32Final(crc32Update(CRC32_START, header, 0, 12)));
    const size = this.align(HEADER_SIZE);
    for (let i = HEADER_SIZE; i < size; i++) this.staging[i] = 0xff;
    bytesCopy(this.staging, 0, header, 0, HEADER_SIZE);
    if (this.flash.program(sector * this.sectorSize, this.staging, 0, size) != 0) return STORE_FAILED;
    this.sectorSequence[sector] = this.sequenceLast;
    this.active = sector;
    this.writePoint = size;
    return 0;
  }

  /** Copies `sector`'s live records to the active sector with their current state, then erases it. */
  private compact(sector: i32): i32 {
    if (sector < 0) return 0;
    for (let position = 0; position < this.orderCount; position++) {
      const slot = this.order[position];
      if (this.sectors[slot] != sector) continue;
      const length = this.lengths[slot];
      const size = this.align(RECORD_HEADER_SIZE + length);
      if (this.active == sector || this.writePoint + size > this.sectorSize) return STORE_FULL; // live data outgrew the ring
      if (this.flash.read(sector * this.sectorSize + this.offsets[slot] + RECORD_HEADER_SIZE, this.staging, RECORD_HEADER_SIZE, length) != 0) return STORE_FAILED;
      const kind: i32 = this.kinds[slot];
      const state: i32 = this.states[slot];
      const at = this.write(kind, state, this.ids[slot], this.packetIds[slot], this.staging, RECORD_HEADER_SIZE, length);
      if (at < 0) return at;
      this.sectors[slot] = this.active;
      this.offsets[slot] = at;
    }
    this.sectorSequence[sector] = 0; // before the erase: a cut mid-erase leaves it free, not half-valid
    if (this.flash.erase(sector) != 0) return STORE_FAILED;
    this.sectorErases[sector]++;
    this.sectorClean[sector] = 1;
    return 0;
  }

  private freeCount(): i32 {
    let free: i32 = 0;
    for (let s = 0; s < this.sectorCount; s++) if (this.sectorSequence[s] == 0) free++;
    return free;
  }

  // ---- the index ----------------------------------------------------------------------------------

  private slotOf(id: i32): i32 {
    const position = this.orderFind(id);
    return position >= 0 ? this.order[position] : -1;
  }

  /** Position of `id` in `order` (sorted by id), or -1. */
  private orderFind(id: i32): i32 {
    let low: i32 = 0;
    let high = this.orderCount - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = this.ids[this.order[middle]];
      if (found == id) return middle;
      if (found < id) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** A free slot for `id`, entered in id order; -1 when the index is full. */
  private slotTake(id: i32): i32 {
    if (this.orderCount == this.ids.length) return -1;
    // Look from where the last search ended: slots are taken and freed roughly in turn, so the
    // next free one is usually there, not after every live one.
    const count = this.ids.length;
    let slot: i32 = -1;
    for (let i = 0; i < count && slot < 0; i++) {
      const candidate = (this.slotHint + i) % count;
      if (this.ids[candidate] == 0) slot = candidate;
    }
    this.slotHint = (slot + 1) % count;
    this.ids[slot] = id;
    let position = this.orderCount;
    while (position > 0 && this.ids[this.order[position - 1]] > id) {
      this.order[position] = this.order[position - 1];
      position--;
    }
    this.order[position] = slot;
    this.orderCount++;
    return slot;
  }

  private slotFree(slot: i32): void {
    const position = this.orderFind(this.ids[slot]);
    for (let i = position; i + 1 < this.orderCount; i++) this.order[i] = this.order[i + 1];
    this.orderCount--;
    this.ids[slot] = 0;
  }

  private place(slot: i32, sector: i32, offset: i32, kind: i32, state: i32, packetId: i32, length: i32): void {
    this.sectors[slot] = sector;
    this.offsets[slot] = offset;
    this.kinds[slot] = kind;
    this.states[slot] = state;
    this.packetIds[slot] = packetId;
    this.lengths[slot] = length;
  }

  private align(size: i32): i32 {
    return alignTo(size, this.writeSize);
  }

  private erased(bytes: Uint8Array, length: i32): bool {
    for (let i = 0; i < length; i++) if (bytes[i] != 0xff) return false;
    return true;
  }
}

/** `size` rounded up to a multiple of `unit`. */
function alignTo(size: i32, unit: i32): i32 {
  return (((size + unit - 1) / unit) | 0) * unit;
}

function readU16(source: Uint8Array, offset: i32): i32 {
  const high: i32 = source[offset];
  const low: i32 = source[offset + 1];
  return (high << 8) | low;
}

function readU32(source: Uint8Array, offset: i32): i32 {
  return (readU16(source, offset) << 16) | readU16(source, offset + 2);
}

function writeU16(target: Uint8Array, offset: i32, value: i32): void {
  target[offset] = value >> 8;
  target[offset + 1] = value;
}

function writeU32(target: Uint8Array, offset: i32, value: i32): void {
  writeU16(target, offset, value >>> 16);
  writeU16(target, offset + 2, value);
}
