/**
 * The flash log's scenarios — power cuts, corruption, wear — as functions over numbers, so both
 * builds run the same ones: the as-pect spec (test/assembly/log_store.spec.ts) calls them under
 * asc, test/store_builds.test.mjs through the WASM and the JS harness.
 *
 * The workload is QoS-like (messages appended, marked sent, released, removed; QoS 2 receipts
 * added and removed) on the NOR-faithful MemoryFlash. A model of what each operation
 * acknowledged checks what a rebooted LogStore recovers; a scenario answers with a PROBLEM_*
 * code (0: none) and `storeProblemMessage()` names the message it is about.
 *
 * Everything is allocated once, when the module loads: the WASM harness's stub runtime never
 * frees, and a power-cut run goes through thousands of boots. So a scenario erases the one
 * memory flash and reboots the two stores (`boot`) instead of making new ones; a reboot leaves
 * a LogStore in the state a new one has before `recover`, which rebuilds the rest.
 */
import { crc32 } from "../../firmware/core/crc32";
import { LogStore } from "../../firmware/store/log";
import { MemoryFlash } from "../../firmware/hal/flash_memory";
import { OUTGOING_QUEUED, OUTGOING_RELEASED, OUTGOING_SENT, RECORD_INCOMING, RECORD_OUTGOING, STORE_FULL } from "../../firmware/store/store";

const SECTOR_SIZE: i32 = 512;
const SECTOR_COUNT: i32 = 4;
const RECORD_COUNT_MAX: i32 = 16;
const BODY_SIZE_MAX: i32 = 64;
/** Messages a workload may number; sizes the model. */
const MESSAGE_COUNT_MAX: i32 = 4000;
/** Workload lengths, in messages: the plain recovery; the power-cut run, long enough that the
 * ring wraps (cuts land in compactions); the wear run, long enough for many erases per sector. */
const RECOVER_ROUNDS: i32 = 40;
const CUT_ROUNDS: i32 = 60;
const WEAR_ROUNDS: i32 = 3000;
/**
 * Workloads: QoS-like flows, each gone within ten messages (in the power-cut run no compaction
 * finds a live record to move); and the same with every LINGER_EVERY-th message staying LINGER_ROUNDS messages, past
 * a turn of the ring, so compactions copy live records and cuts land among the copies.
 */
export const WORKLOAD_SHORT_FLOWS: i32 = 0;
export const WORKLOAD_LONG_FLOWS: i32 = 1;
const LINGER_EVERY: i32 = 8;
const LINGER_ROUNDS: i32 = 40;
/** Model state of a removed message. */
const STATE_GONE: i32 = 99;

export const PROBLEM_NONE: i32 = 0;
/** `recover` failed. */
export const PROBLEM_RECOVERY_FAILED: i32 = 1;
/** A record whose body is no message the workload wrote. */
export const PROBLEM_UNKNOWN_BODY: i32 = 2;
export const PROBLEM_WRONG_LENGTH: i32 = 3;
export const PROBLEM_CORRUPTED_BODY: i32 = 4;
/** Records not in append order. */
export const PROBLEM_OUT_OF_ORDER: i32 = 5;
/** A state neither acknowledged nor being written when the power went. */
export const PROBLEM_WRONG_STATE: i32 = 6;
export const PROBLEM_WRONG_KIND: i32 = 7;
/** A message acknowledged (and not being removed when the power went) is missing. */
export const PROBLEM_LOST: i32 = 8;
/** A message whose removal was acknowledged is back. */
export const PROBLEM_BACK: i32 = 9;
/** The recovered store refuses a new record it says fits. */
export const PROBLEM_REFUSES_NEW: i32 = 10;
/** A workload with no power cut stopped: an operation failed. */
export const PROBLEM_WORKLOAD_STOPPED: i32 = 11;
/** After a reboot, the store refused a record or a removal while carrying on. */
export const PROBLEM_RESUME_REFUSED: i32 = 12;

/** What the workload was told succeeded, per message number: the state it must have (or STATE_GONE). */
class Model {
  readonly acked: Int32Array = new Int32Array(MESSAGE_COUNT_MAX);
  /** The state an operation was writing when the power went (either outcome is correct). */
  readonly pending: Int32Array = new Int32Array(MESSAGE_COUNT_MAX);
  readonly kinds: Int32Array = new Int32Array(MESSAGE_COUNT_MAX);
  /** Per message: its record in the store that wrote it. */
  readonly slots: Int32Array = new Int32Array(MESSAGE_COUNT_MAX);
  used: i32 = 0;

  reset(): void {
    this.acked.fill(-1);
    this.pending.fill(-1);
    this.kinds.fill(0);
    this.slots.fill(0);
    this.used = 0;
  }
}

const flash: MemoryFlash = new MemoryFlash(SECTOR_SIZE, SECTOR_COUNT, 4, false);
/** The store the workload writes through, and the one that boots from what it left. */
const store: LogStore = new LogStore(flash, RECORD_COUNT_MAX, BODY_SIZE_MAX);
const recovered: LogStore = new LogStore(flash, RECORD_COUNT_MAX, BODY_SIZE_MAX);
const model: Model = new Model();
const buffer: Uint8Array = new Uint8Array(BODY_SIZE_MAX);
const expected: Uint8Array = new Uint8Array(BODY_SIZE_MAX);
/** The body of the record a recovered store must still accept: 8 zero bytes, never written. */
const zeros: Uint8Array = new Uint8Array(8);
const seen: Int32Array = new Int32Array(MESSAGE_COUNT_MAX);
let problemMessage: i32 = -1;
let recoverStatus: i32 = 0;
let eraseCountMin: i32 = 0;

/** The flash as a new one is: all 0xFF, no erases counted, powered, no cut planned. */
function flashRenew(): void {
  flash.data.fill(0xff);
  flash.eraseCounts.fill(0);
  flash.programmedBytes = 0;
  flash.powerOn();
}

/**
 * Reboots `target` over the flash. A new LogStore starts with erase counts of zero (recover
 * reads them only from valid sector headers) and `recover` rebuilds everything else.
 */
function boot(target: LogStore): i32 {
  target.sectorErases.fill(0);
  return target.recover();
}

function problem(code: i32, message: i32): i32 {
  problemMessage = message;
  return code;
}

/** Writes message `n`'s body (its number, then a pattern; 4..32 bytes). Returns its length. */
function body(n: i32, target: Uint8Array): i32 {
  const length = 4 + (n * 7) % 29;
  target[0] = n >> 24;
  target[1] = n >> 16;
  target[2] = n >> 8;
  target[3] = n;
  for (let i = 4; i < length; i++) target[i] = (n + i) & 0xff;
  return length;
}

function numberOf(source: Uint8Array): i32 {
  const b0: i32 = source[0];
  const b1: i32 = source[1];
  const b2: i32 = source[2];
  const b3: i32 = source[3];
  return (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
}

function live(m: i32): bool {
  return model.acked[m] >= 0 && model.acked[m] != STATE_GONE;
}

function lingers(flows: i32, m: i32): bool {
  return flows == WORKLOAD_LONG_FLOWS && m % LINGER_EVERY == 0;
}

function remove(m: i32): bool {
  model.pending[m] = STATE_GONE;
  store.remove(model.slots[m]);
  if (!flash.powered) return false;
  model.acked[m] = STATE_GONE;
  model.pending[m] = -1;
  return true;
}

/**
 * The workload, `rounds` messages long, through `store`. Returns false as soon as an operation
 * fails (the power went), having noted in `model.pending` what that operation was writing.
 */
function workload(rounds: i32, flows: i32): bool {
  assert(rounds <= MESSAGE_COUNT_MAX, "workload: rounds");
  let oldest: i32 = 0;
  let kept: i32 = 0;
  let lingering: i32 = 0;
  for (let n = 0; n < rounds; n++) {
    const incoming = n % 5 == 4;
    const length = body(n, buffer);
    model.kinds[n] = incoming ? RECORD_INCOMING : RECORD_OUTGOING;
    model.pending[n] = OUTGOING_QUEUED;
    const slot = store.append(incoming ? RECORD_INCOMING : RECORD_OUTGOING, OUTGOING_QUEUED, n & 0xffff, buffer, 0, length);
    if (slot < 0 && slot != STORE_FULL) return false; // STORE_FAILED
    if (slot == STORE_FULL) {
      model.pending[n] = -1;
      continue;
    }
    model.pending[n] = -1;
    model.acked[n] = OUTGOING_QUEUED;
    model.slots[n] = slot;
    model.used = n + 1;
    // Move the older flows along: sent, released (QoS 2, every other one), removed.
    while (oldest < n - 3) {
      const m = oldest;
      oldest++;
      if (model.acked[m] < 0 || model.acked[m] == STATE_GONE) continue;
      if (model.kinds[m] == RECORD_OUTGOING) {
        model.pending[m] = OUTGOING_SENT;
        store.update(model.slots[m], OUTGOING_SENT, m & 0xffff);
        if (!flash.powered) return false;
        model.acked[m] = OUTGOING_SENT;
        if (m % 2 == 0) {
          model.pending[m] = OUTGOING_RELEASED;
          store.update(model.slots[m], OUTGOING_RELEASED, m & 0xffff);
          if (!flash.powered) return false;
          model.acked[m] = OUTGOING_RELEASED;
        }
      }
      if (m % 3 != 0 && !lingers(flows, m) && !remove(m)) return false;
      model.pending[m] = -1;
    }
    // Every third message stays longer (a slow flow), then goes too.
    while (kept < n - 9) {
      const m = kept;
      kept++;
      if (m % 3 == 0 && !lingers(flows, m) && live(m) && !remove(m)) return false;
    }
    // With WORKLOAD_LONG_FLOWS, every LINGER_EVERY-th message outlives a turn of the ring.
    while (lingering < n - LINGER_ROUNDS) {
      const m = lingering;
      lingering++;
      if (lingers(flows, m) && live(m) && !remove(m)) return false;
    }
  }
  return true;
}

/** Checks `recovered` against the model: every record, then every message. Returns a PROBLEM_*. */
function check(): i32 {
  seen.fill(0);
  let previous: i32 = -1;
  for (let record = recovered.first(); record >= 0; record = recovered.next(record)) {
    const length = recovered.read(record, buffer, 0);
    const n = numberOf(buffer);
    if (n < 0 || n >= MESSAGE_COUNT_MAX) return problem(PROBLEM_UNKNOWN_BODY, n);
    if (length != body(n, expected)) return problem(PROBLEM_WRONG_LENGTH, n);
    for (let i = 0; i < length; i++) {
      const got: i32 = buffer[i];
      const want: i32 = expected[i];
      if (got != want) return problem(PROBLEM_CORRUPTED_BODY, n);
    }
    if (n <= previous) return problem(PROBLEM_OUT_OF_ORDER, n); // also ends a cycle in first/next
    previous = n;
    seen[n] = 1;
    const state = recovered.state(record);
    if (state != model.acked[n] && state != model.pending[n]) return problem(PROBLEM_WRONG_STATE, n);
    if (recovered.kind(record) != model.kinds[n]) return problem(PROBLEM_WRONG_KIND, n);
  }
  for (let n = 0; n < model.used; n++) {
    const live = model.acked[n] >= 0 && model.acked[n] != STATE_GONE;
    if (live && seen[n] == 0 && model.pending[n] != STATE_GONE) return problem(PROBLEM_LOST, n);
    if (model.acked[n] == STATE_GONE && seen[n] != 0) return problem(PROBLEM_BACK, n);
  }
  return problem(PROBLEM_NONE, -1);
}

/** The message the last problem is about, or -1. */
export function storeProblemMessage(): i32 {
  return problemMessage;
}

/** What the last reboot's `recover` answered. */
export function storeRecoverStatus(): i32 {
  return recoverStatus;
}

/** Live records in the store the workload wrote through, and in the rebooted one. */
export function storeWrittenCount(): i32 {
  return store.count;
}

export function storeRecoveredCount(): i32 {
  return recovered.count;
}

/** Records the last reboot found corrupt (reported, not delivered). */
export function storeCorruptRecords(): i32 {
  return recovered.corruptRecords;
}

/** Bytes of flash the scenarios use: a probe that programs more has wrapped the ring. */
export function storeFlashSize(): i32 {
  return flash.size;
}

/** CRC-32 of the whole flash image: the same workload must leave the same bytes in every build. */
export function storeFlashCrc(): i32 {
  return crc32(flash.data, 0, flash.size);
}

/** The fewest erases any sector had after the last wear scenario. */
export function storeEraseCountMin(): i32 {
  return eraseCountMin;
}

/**
 * Recovers appended records, their states and their order from the flash alone: the workload
 * without a cut, then a reboot. Returns a PROBLEM_*.
 */
export function storeScenarioRecover(): i32 {
  flashRenew();
  recoverStatus = boot(store);
  if (recoverStatus != 0) return problem(PROBLEM_RECOVERY_FAILED, -1);
  model.reset();
  if (!workload(RECOVER_ROUNDS, WORKLOAD_SHORT_FLOWS)) return problem(PROBLEM_WORKLOAD_STOPPED, -1);
  recoverStatus = boot(recovered);
  if (recoverStatus != 0) return problem(PROBLEM_RECOVERY_FAILED, -1);
  return check();
}

/** Runs the power-cut workload without a cut. Returns the bytes it programmed: cuts 0 ..= that. */
export function storeScenarioProbe(flows: i32): i32 {
  flashRenew();
  boot(store);
  model.reset();
  workload(CUT_ROUNDS, flows);
  return flash.programmedBytes;
}

/**
 * The power goes after `cut` programmed bytes of the power-cut workload; the store reboots from
 * what the cut left. Everything acknowledged must be there in its acknowledged state (or the one
 * being written), nothing removed may come back, order holds, and the store takes new records —
 * and goes on taking them, through two turns of the ring, after which a second reboot finds
 * the same. Returns a PROBLEM_*.
 */
export function storeScenarioCut(flows: i32, cut: i32): i32 {
  flashRenew();
  boot(store);
  flash.cutAfter(cut);
  model.reset();
  workload(CUT_ROUNDS, flows);
  flash.powerOn();
  recoverStatus = boot(recovered);
  if (recoverStatus != 0) return problem(PROBLEM_RECOVERY_FAILED, -1);
  const found = check();
  if (found != PROBLEM_NONE) return found;
  if (recovered.fits(8)) {
    const extra = recovered.append(RECORD_OUTGOING, 0, 0, zeros, 0, 8);
    if (extra < 0) return problem(PROBLEM_REFUSES_NEW, -1);
    recovered.remove(extra);
  }
  // Carry on from what the reboot found, for long enough that every sector is compacted and
  // erased again (a half-done compaction the reboot left must not lose a record then), and
  // reboot once more: what the first reboot found must all still be there.
  const resumed = resume();
  if (resumed != PROBLEM_NONE) return resumed;
  recoverStatus = boot(recovered);
  if (recoverStatus != 0) return problem(PROBLEM_RECOVERY_FAILED, -1);
  return check();
}

/**
 * After a reboot: makes what `recovered` holds the acknowledged state, then appends and removes
 * messages (numbered from CUT_ROUNDS) through it until it has programmed twice the flash.
 * Returns PROBLEM_RESUME_REFUSED if a write fails, else PROBLEM_NONE.
 */
function resume(): i32 {
  for (let n = 0; n < CUT_ROUNDS; n++) {
    if (seen[n] == 0 && model.acked[n] >= 0) model.acked[n] = STATE_GONE;
    model.pending[n] = -1;
  }
  for (let record = recovered.first(); record >= 0; record = recovered.next(record)) {
    recovered.read(record, buffer, 0);
    model.acked[numberOf(buffer)] = recovered.state(record);
  }
  const start = flash.programmedBytes;
  for (let n = CUT_ROUNDS; flash.programmedBytes - start < 2 * flash.size; n++) {
    if (n == MESSAGE_COUNT_MAX) return problem(PROBLEM_RESUME_REFUSED, n);
    const length = body(n, buffer);
    model.kinds[n] = RECORD_OUTGOING;
    model.used = n + 1;
    const slot = recovered.append(RECORD_OUTGOING, OUTGOING_QUEUED, n & 0xffff, buffer, 0, length);
    if (slot < 0 || !flash.powered) return problem(PROBLEM_RESUME_REFUSED, n);
    model.acked[n] = OUTGOING_QUEUED;
    recovered.remove(slot);
    if (!flash.powered) return problem(PROBLEM_RESUME_REFUSED, n);
    model.acked[n] = STATE_GONE;
  }
  return PROBLEM_NONE;
}

/** A long workload, then the spread of erases over the sectors (most minus fewest). */
export function storeScenarioWear(): i32 {
  flashRenew();
  boot(store);
  model.reset();
  workload(WEAR_ROUNDS, WORKLOAD_SHORT_FLOWS);
  let low: i32 = flash.eraseCounts[0];
  let high: i32 = low;
  for (let s = 1; s < SECTOR_COUNT; s++) {
    const count: i32 = flash.eraseCounts[s];
    if (count < low) low = count;
    if (count > high) high = count;
  }
  eraseCountMin = low;
  return high - low;
}

/**
 * One committed record with a bit flipped in its body, then a reboot. Returns the records the
 * reboot reported corrupt; `storeRecoveredCount()` must show it was not delivered.
 */
export function storeScenarioFlip(): i32 {
  flashRenew();
  boot(store);
  const length = body(7, buffer);
  store.append(RECORD_OUTGOING, 0, 7, buffer, 0, length);
  const at = 16 + 16 + 5; // inside the first record's body (after the sector header)
  const byte: i32 = flash.data[at];
  flash.data[at] = byte ^ 0x04;
  recoverStatus = boot(recovered);
  return recovered.corruptRecords;
}
