// Goal: the flash log keeps what it acknowledged through a power cut at any byte, spreads wear,
// and reports corruption instead of delivering it.
// Method: a QoS-like workload (messages appended, marked sent, released, removed; QoS 2 receipts
// added and removed) runs on the NOR-faithful MemoryFlash, once to count the bytes it programs,
// then again with the power cut after byte N for every N; a new LogStore recovers from what the
// cut left, and a model of the acknowledged operations checks it.
import { LogStore } from "../../firmware/store/log";
import { MemoryFlash } from "../../firmware/hal/flash_memory";
import { OUTGOING_QUEUED, OUTGOING_RELEASED, OUTGOING_SENT, RECORD_INCOMING, RECORD_OUTGOING, STORE_FAILED, STORE_FULL } from "../../firmware/store/store";

const SECTOR: i32 = 512;
const SECTORS: i32 = 4;
const RECORDS: i32 = 16;
const STATE_GONE: i32 = 99;

/** What the workload was told succeeded, per message number: the state it must have (or STATE_GONE). */
class Model {
  acked: Int32Array = new Int32Array(4000);
  /** The state an operation was writing when the power went (either outcome is correct). */
  pending: Int32Array = new Int32Array(4000);
  kinds: Int32Array = new Int32Array(4000);
  used: i32 = 0;
  constructor() {
    this.acked.fill(-1);
    this.pending.fill(-1);
  }
}

function body(n: i32, target: Uint8Array): i32 {
  const length = 4 + (n * 7) % 29;
  target[0] = n >> 24; target[1] = n >> 16; target[2] = n >> 8; target[3] = n;
  for (let i = 4; i < length; i++) target[i] = (n + i) & 0xff;
  return length;
}

function numberOf(source: Uint8Array): i32 {
  return (i32(source[0]) << 24) | (i32(source[1]) << 16) | (i32(source[2]) << 8) | i32(source[3]);
}

function remove(store: LogStore, flash: MemoryFlash, model: Model, slots: Int32Array, m: i32): bool {
  model.pending[m] = STATE_GONE;
  store.remove(slots[m]);
  if (!flash.powered) return false;
  model.acked[m] = STATE_GONE;
  model.pending[m] = -1;
  return true;
}

/**
 * The workload. Returns false as soon as an operation fails (the power went), having noted in
 * `model.pending` what that operation was writing.
 */
function workload(store: LogStore, flash: MemoryFlash, model: Model, rounds: i32): bool {
  const buffer = new Uint8Array(64);
  const slots = new Int32Array(4000);
  let oldest: i32 = 0;
  let kept: i32 = 0;
  for (let n = 0; n < rounds; n++) {
    const incoming = n % 5 == 4;
    const length = body(n, buffer);
    model.kinds[n] = incoming ? RECORD_INCOMING : RECORD_OUTGOING;
    model.pending[n] = OUTGOING_QUEUED;
    const slot = store.append(incoming ? RECORD_INCOMING : RECORD_OUTGOING, OUTGOING_QUEUED, n & 0xffff, buffer, 0, length);
    if (slot == STORE_FAILED) return false;
    if (slot == STORE_FULL) { model.pending[n] = -1; continue; }
    model.pending[n] = -1;
    model.acked[n] = OUTGOING_QUEUED;
    slots[n] = slot;
    model.used = n + 1;
    // Move the older flows along: sent, released (QoS 2, every other one), removed.
    while (oldest < n - 3) {
      const m = oldest;
      oldest++;
      if (model.acked[m] < 0 || model.acked[m] == STATE_GONE) continue;
      if (model.kinds[m] == RECORD_OUTGOING) {
        model.pending[m] = OUTGOING_SENT;
        store.update(slots[m], OUTGOING_SENT, m & 0xffff);
        if (!flash.powered) return false;
        model.acked[m] = OUTGOING_SENT;
        if (m % 2 == 0) {
          model.pending[m] = OUTGOING_RELEASED;
          store.update(slots[m], OUTGOING_RELEASED, m & 0xffff);
          if (!flash.powered) return false;
          model.acked[m] = OUTGOING_RELEASED;
        }
      }
      if (m % 3 != 0 && !remove(store, flash, model, slots, m)) return false;
      model.pending[m] = -1;
    }
    // Every third message stays longer (a slow flow), then goes too.
    while (kept < n - 9) {
      const m = kept;
      kept++;
      if (m % 3 == 0 && model.acked[m] >= 0 && model.acked[m] != STATE_GONE && !remove(store, flash, model, slots, m)) return false;
    }
  }
  return true;
}

/** Checks a recovered store against the model. Returns a description of the first problem, or "". */
function check(store: LogStore, model: Model): string {
  const seen = new Int32Array(4000);
  const buffer = new Uint8Array(64);
  let previous: i32 = -1;
  for (let record = store.first(); record >= 0; record = store.next(record)) {
    const length = store.read(record, buffer, 0);
    const n = numberOf(buffer);
    if (n < 0 || n >= 4000) return "a record with an unknown body";
    const expected = new Uint8Array(64);
    if (length != body(n, expected)) return "message " + n.toString() + ": wrong length";
    for (let i = 0; i < length; i++) if (buffer[i] != expected[i]) return "message " + n.toString() + ": corrupted body";
    if (n <= previous) return "message " + n.toString() + ": out of order";
    previous = n;
    seen[n] = 1;
    const state = store.state(record);
    if (state != model.acked[n] && state != model.pending[n]) {
      return "message " + n.toString() + ": state " + state.toString() + ", acknowledged " + model.acked[n].toString();
    }
    if (store.kind(record) != model.kinds[n]) return "message " + n.toString() + ": wrong kind";
  }
  for (let n = 0; n < model.used; n++) {
    const live = model.acked[n] >= 0 && model.acked[n] != STATE_GONE;
    if (live && seen[n] == 0 && model.pending[n] != STATE_GONE) return "message " + n.toString() + ": acknowledged, then lost";
    if (model.acked[n] == STATE_GONE && seen[n] != 0) return "message " + n.toString() + ": removed, then back";
  }
  return "";
}

describe("LogStore", () => {
  it("recovers appended records, their states and their order from the flash alone", () => {
    const flash = new MemoryFlash(SECTOR, SECTORS, 4, false);
    const store = new LogStore(flash, RECORDS, 64);
    expect(store.recover()).toBe(0);
    const model = new Model();
    expect(workload(store, flash, model, 40)).toBe(true);
    const again = new LogStore(flash, RECORDS, 64);
    expect(again.recover()).toBe(0);
    expect(check(again, model)).toBe("");
    expect(again.count).toBe(store.count);
    expect(again.corruptRecords).toBe(0);
  });

  it("survives a power cut after every programmed byte", () => {
    const rounds: i32 = 60;
    const probe = new MemoryFlash(SECTOR, SECTORS, 4, false);
    const probeStore = new LogStore(probe, RECORDS, 64);
    probeStore.recover();
    workload(probeStore, probe, new Model(), rounds);
    const total = probe.programmedBytes;
    expect(total).toBeGreaterThan(SECTOR * SECTORS); // the ring wrapped: compaction was cut too
    let failures: i32 = 0;
    let first: string = "";
    for (let cut = 0; cut <= total; cut++) {
      const flash = new MemoryFlash(SECTOR, SECTORS, 4, false);
      const store = new LogStore(flash, RECORDS, 64);
      store.recover();
      flash.cutAfter(cut);
      const model = new Model();
      workload(store, flash, model, rounds);
      flash.powerOn();
      const recovered = new LogStore(flash, RECORDS, 64);
      const status = recovered.recover();
      let problem = status != 0 ? "recovery failed" : check(recovered, model);
      if (problem == "") {
        const buffer = new Uint8Array(8);
        if (recovered.fits(8) && recovered.append(RECORD_OUTGOING, 0, 0, buffer, 0, 8) < 0) problem = "refuses new records";
      }
      if (problem != "") {
        failures++;
        if (first == "") first = "cut after byte " + cut.toString() + ": " + problem;
      }
    }
    expect(first).toBe("");
    expect(failures).toBe(0);
  });

  it("spreads erases evenly over the sectors", () => {
    const flash = new MemoryFlash(SECTOR, SECTORS, 4, false);
    const store = new LogStore(flash, RECORDS, 64);
    store.recover();
    workload(store, flash, new Model(), 3000);
    let low = flash.eraseCounts[0];
    let high = low;
    for (let s = 1; s < SECTORS; s++) {
      if (flash.eraseCounts[s] < low) low = flash.eraseCounts[s];
      if (flash.eraseCounts[s] > high) high = flash.eraseCounts[s];
    }
    expect(low).toBeGreaterThan(10);
    expect(high - low).toBeLessThanOrEqual(1); // rotation: every sector in turn
  });

  it("reports a flipped bit in a committed record instead of delivering it", () => {
    const flash = new MemoryFlash(SECTOR, SECTORS, 4, false);
    const store = new LogStore(flash, RECORDS, 64);
    store.recover();
    const buffer = new Uint8Array(64);
    const length = body(7, buffer);
    store.append(RECORD_OUTGOING, 0, 7, buffer, 0, length);
    flash.data[16 + 16 + 5] ^= 0x04; // inside the first record's body (after the sector header)
    const recovered = new LogStore(flash, RECORDS, 64);
    expect(recovered.recover()).toBe(0);
    expect(recovered.corruptRecords).toBe(1);
    expect(recovered.count).toBe(0);
  });
});
