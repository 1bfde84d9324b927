/**
 * `$SYS` topics: what the broker reports about itself every `sys_interval` seconds, as retained
 * messages, in Mosquitto's tree where Mosquitto has the figure ($SYS/broker/clients/connected,
 * …/messages/received, …) and under $SYS/broker/tables/ for what only a static broker can say:
 * each table's size, its use now and its high-water mark.
 *
 * `publishDue` stores and routes every entry when `sys_interval` has passed; `write(index, …)`
 * formats one. Entries are numbered 0 .. SYS_ENTRY_COUNT-1 so the loop is bounded.
 */
import { Span } from "../core/bytes";
import { decimalWrite, textWrite } from "../core/text";
import { Router } from "./router";
import { Ingest } from "./ingest";
import { Connections } from "./connections";
import { Sessions } from "./sessions";
import { TopicTable } from "./topic_table";
import { MessagePool } from "./messages";
import { RetainedTable } from "./retained";
import { COUNTER_COUNT, COUNTER_DROP_POOL_FULL } from "./counters";

/** One entry per counter (COUNTER_*), then one each for the version, uptime and clients, then three per table. */
const COUNTER_ENTRIES: i32 = COUNTER_COUNT;
const TABLE_COUNT: i32 = 6;
export const SYS_ENTRY_COUNT: i32 = COUNTER_ENTRIES + 3 + TABLE_COUNT * 3;

export class SysReport {
  topicLength: i32 = 0;
  payloadLength: i32 = 0;
  private readonly topic: Uint8Array = new Uint8Array(128);
  private readonly payload: Uint8Array = new Uint8Array(128);
  private readonly topicSpan: Span = new Span();
  private readonly payloadSpan: Span = new Span();
  private readonly scratch: Uint8Array = new Uint8Array(128);
  private started: bool = false;
  private startedAtSeconds: i32 = 0;
  private nextMs: i32 = 0;

  constructor(
    readonly connections: Connections,
    readonly sessions: Sessions,
    readonly topics: TopicTable,
    readonly pool: MessagePool,
    readonly retained: RetainedTable,
    readonly counters: Int32Array,
    readonly router: Router,
    readonly ingest: Ingest,
  ) {}

  /** Publishes every entry as a retained QoS 0 message when `intervalSeconds` (> 0) has passed. */
  publishDue(nowMs: i32, connected: i32, intervalSeconds: i32): void {
    if (intervalSeconds <= 0) return;
    if (!this.started) {
      this.started = true;
      this.startedAtSeconds = this.pool.clock.seconds;
      this.nextMs = nowMs;
    }
    if (((nowMs - this.nextMs) | 0) < 0) return;
    this.nextMs = (nowMs + intervalSeconds * 1000) | 0;
    const uptime = (this.pool.clock.seconds - this.startedAtSeconds) | 0;
    const pool = this.pool;
    for (let index = 0; index < SYS_ENTRY_COUNT; index++) {
      this.write(index, connected, uptime, this.topic, this.payload);
      this.topicSpan.set(this.topic, 0, this.topicLength);
      this.payloadSpan.set(this.payload, 0, this.payloadLength);
      const message = this.ingest.store(this.topicSpan, null, this.payloadSpan, 0, true);
      if (message < 0) {
        this.counters[COUNTER_DROP_POOL_FULL]++;
        continue;
      }
      this.router.route(message, -1, this.topicSpan);
      this.retained.update(pool, message, this.topicSpan, this.scratch);
      pool.release(message);
    }
  }

  /** Formats entry `index` into `topic` and `payload` (each at least 64 bytes); sets the two lengths. */
  write(index: i32, connected: i32, uptimeSeconds: i32, topic: Uint8Array, payload: Uint8Array): void {
    let t = textWrite(topic, 0, "$SYS/broker/");
    let value: i32 = 0;
    let p: i32 = -1;
    if (index < COUNTER_ENTRIES) {
      t += textWrite(topic, t, counterName(index));
      value = this.counters[index];
    } else if (index == COUNTER_ENTRIES) {
      t += textWrite(topic, t, "version");
      p = textWrite(payload, 0, "wrenmq 0.1.0");
    } else if (index == COUNTER_ENTRIES + 1) {
      t += textWrite(topic, t, "uptime");
      p = decimalWrite(payload, 0, uptimeSeconds);
      p += textWrite(payload, p, " seconds");
    } else if (index == COUNTER_ENTRIES + 2) {
      t += textWrite(topic, t, "clients/connected");
      value = connected;
    } else {
      const table = ((index - COUNTER_ENTRIES - 3) / 3) | 0;
      const field = index - COUNTER_ENTRIES - 3 - table * 3;
      t += textWrite(topic, t, "tables/");
      t += textWrite(topic, t, tableName(table));
      t += textWrite(topic, t, field == 0 ? "/used" : field == 1 ? "/peak" : "/size");
      value = this.tableFigure(table, field);
    }
    if (p < 0) p = decimalWrite(payload, 0, value);
    this.topicLength = t;
    this.payloadLength = p;
  }

  private tableFigure(table: i32, field: i32): i32 {
    switch (table) {
      case 0: return field == 0 ? this.connections.used : field == 1 ? this.connections.usedPeak : this.connections.count;
      case 1: return field == 0 ? this.sessions.used : field == 1 ? this.sessions.usedPeak : this.sessions.count;
      case 2: return field == 0 ? this.topics.used : field == 1 ? this.topics.usedPeak : this.topics.slotCount;
      case 3: return field == 0 ? this.pool.slotCount - this.pool.freeSlotCount : field == 1 ? this.pool.slotsUsedPeak : this.pool.slotCount;
      case 4: return field == 0 ? this.pool.chunkCount - this.pool.chunkFreeCount : field == 1 ? this.pool.chunksUsedPeak : this.pool.chunkCount;
    }
    return field == 0 ? this.retained.used : field == 1 ? this.retained.usedPeak : this.retained.message.length;
  }
}

function tableName(table: i32): string {
  switch (table) {
    case 0: return "connections";
    case 1: return "sessions";
    case 2: return "subscriptions";
    case 3: return "messages";
    case 4: return "message chunks";
  }
  return "retained";
}

/** The $SYS topic of counter `index` (COUNTER_*), below $SYS/broker/. */
function counterName(index: i32): string {
  switch (index) {
    case 0: return "messages/received";
    case 1: return "messages/sent";
    case 2: return "bytes/received";
    case 3: return "bytes/sent";
    case 4: return "clients/refused";
    case 5: return "clients/protocol errors";
    case 6: return "dropped/queue full";
    case 7: return "dropped/message pool full";
    case 8: return "dropped/too large for client";
    case 9: return "dropped/expired";
    case 10: return "denied";
    case 11: return "store/full";
    case 12: return "store/write failures";
    case 13: return "store/records not restored";
    case 14: return "clients/abandoned before connect";
    case 15: return "dropped/congested";
  }
  return "unknown";
}
