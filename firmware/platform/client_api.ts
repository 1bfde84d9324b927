/**
 * The client behind numbers and three byte windows, the same in both builds: the WASM exports
 * (wasm/client.ts) call it with the windows' addresses shared with the host, and the Espruino
 * and test bundles hand the object itself to JavaScript. A host writes received bytes to `rx`
 * and calls `input`; reads `output`'s bytes from `tx`; passes strings (options, topics,
 * payloads) through `stage`; and reads a delivered message from `stage` after `messageCopy`.
 */
import { Span } from "../core/bytes";
import { Limits, clientLimitsCheck, limitSet } from "../limits";
import { Client } from "../client/client";
import { MemoryStore } from "../store/memory";
import { Store } from "../store/store";
import { propertiesEncode, propertiesEncodeLength } from "../codec/properties";
import { Writer } from "../core/bytes";

export class ClientApi {
  readonly limits: Limits = new Limits();
  client: Client | null = null;
  rx: Uint8Array = new Uint8Array(0);
  tx: Uint8Array = new Uint8Array(0);
  stage: Uint8Array = new Uint8Array(0);
  private readonly topic: Span = new Span();
  private readonly payload: Span = new Span();
  private readonly properties: Span = new Span();
  private readonly writer: Writer = new Writer();
  private propertiesCopied: i32 = 0;

  /** The client `init` made; only `limitSet` and `init` come before it exists. (One null check, not 25.) */
  private get core(): Client {
    return this.client!;
  }

  /** Sets limit `id` (LIMIT_* in limits.ts) before `init`. Returns 0, or -1 for an unknown id. */
  limitSet(id: i32, value: i32): i32 {
    return limitSet(this.limits, id, value) ? 0 : -1;
  }

  /**
   * Allocates the client and its windows, with a MemoryStore of `outgoingCountMax` +
   * `incomingCountMax` records, or `store` when one is given. Returns 0, or clientLimitsCheck's complaint.
   */
  init(store: Store | null): i32 {
    const limits = this.limits;
    const check = clientLimitsCheck(limits);
    if (check != 0) return check;
    const chosen = store != null ? store : new MemoryStore(limits.outgoingCountMax + limits.incomingCountMax, limits.storeBytesMax);
    this.client = new Client(limits, chosen);
    this.rx = new Uint8Array(limits.packetSizeMax);
    this.tx = new Uint8Array(limits.packetSizeMax);
    this.stage = new Uint8Array(limits.packetSizeMax + 16);
    return 0;
  }

  optionSet(id: i32, value: i32): i32 {
    return this.core.options.setNumber(id, value) ? 0 : -1;
  }

  /** Byte option `id` from `stage[0 .. length)`. */
  optionBytes(id: i32, length: i32): i32 {
    return this.core.options.setBytes(id, this.stage, 0, length) ? 0 : -1;
  }

  restore(nowMs: i32): i32 { return this.core.restore(nowMs); }
  start(nowMs: i32): void { this.core.start(nowMs); }
  stop(nowMs: i32, reason: i32): void { this.core.stop(nowMs, reason); }
  poll(nowMs: i32): void { this.core.poll(nowMs); }
  pollAtMs(nowMs: i32): i32 { return this.core.pollAtMs(nowMs); }
  opened(nowMs: i32): void { this.core.opened(nowMs); }
  closed(nowMs: i32): void { this.core.closed(nowMs); }
  input(nowMs: i32, length: i32): i32 { return this.core.input(nowMs, this.rx, 0, length); }
  output(nowMs: i32): i32 { return this.core.output(nowMs, this.tx, 0, this.tx.length); }

  /** Publishes `stage` = topic | MQTT 5 property list (wire form, or nothing) | payload. */
  publish(topicLength: i32, propertiesLength: i32, payloadLength: i32, qos: i32, retain: i32, policy: i32, nowMs: i32): i32 {
    this.topic.set(this.stage, 0, topicLength);
    this.properties.set(this.stage, topicLength, propertiesLength);
    this.payload.set(this.stage, topicLength + propertiesLength, payloadLength);
    return this.core.publish(this.topic, this.payload, this.properties, qos, retain != 0, policy, nowMs);
  }

  /** Subscribes to the filter in `stage[0 .. length)`. */
  subscribe(length: i32, options: i32): i32 {
    this.topic.set(this.stage, 0, length);
    return this.core.subscribe(this.topic, options);
  }

  unsubscribe(length: i32): i32 {
    this.topic.set(this.stage, 0, length);
    return this.core.unsubscribe(this.topic);
  }

  status(handle: i32): i32 { return this.core.status(handle); }
  nextEvent(): i32 { return this.core.events.take(); }
  eventHandle(): i32 { return this.core.events.handle; }
  /** HANDLE_* of the taken event's handle, for the events that finish one (no lookup needed). */
  eventState(): i32 { return this.core.events.state; }
  eventReason(): i32 { return this.core.events.reason; }
  state(): i32 { return this.core.state; }
  counter(index: i32): i32 { return this.core.counters[index]; }

  /**
   * Copies the delivered message to `stage`: topic | payload | MQTT 5 property list (wire
   * form). Returns the topic length; `messagePayloadLength`, `messagePropertiesLength` give the rest.
   */
  messageCopy(): i32 {
    const client = this.core;
    const topic = client.messageTopic;
    const payload = client.message.payload;
    bytesCopy(this.stage, 0, topic.buffer, topic.offset, topic.length);
    bytesCopy(this.stage, topic.length, payload.buffer, payload.offset, payload.length);
    const properties = client.message.properties;
    this.propertiesCopied = 0;
    if (client.version == 5 && propertiesEncodeLength(properties) <= this.stage.length - topic.length - payload.length) {
      this.writer.reset(this.stage, topic.length + payload.length);
      propertiesEncode(properties, this.writer);
      this.propertiesCopied = this.writer.position - topic.length - payload.length;
    }
    return topic.length;
  }

  messagePayloadLength(): i32 { return this.core.message.payload.length; }
  messagePropertiesLength(): i32 { return this.propertiesCopied; }
  /** QoS | retain << 2 | dup << 3 of the delivered message. */
  messageFlags(): i32 {
    const message = this.core.message;
    return message.qos | (message.retain ? 4 : 0) | (message.dup ? 8 : 0);
  }
}
