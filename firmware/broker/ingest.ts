/**
 * Storing what arrives: a PUBLISH, a will, or a $SYS report becomes one message in the pool,
 * with the properties that are forwarded unchanged (MQTT 5 §3.3.4: not the Topic Alias, the
 * Message Expiry Interval or Subscription Identifiers, which each delivery sets for itself,
 * nor a will's Will Delay Interval) encoded once, in wire format, between topic and payload.
 */
import { Span, Writer } from "../core/bytes";
import { MESSAGE_EXPIRY_INTERVAL, SUBSCRIPTION_IDENTIFIER, TOPIC_ALIAS, WILL_DELAY_INTERVAL } from "../codec/constants";
import { PropertiesRepr, propertiesBodyEncode } from "../codec/properties";
import { MessagePool } from "./messages";

export class Ingest {
  private readonly pool: MessagePool;
  private readonly forward: PropertiesRepr;
  private readonly scratch: Uint8Array;
  private readonly writer: Writer = new Writer();
  private readonly span: Span = new Span();

  constructor(pool: MessagePool, propertyCountMax: i32, packetSizeMax: i32) {
    this.pool = pool;
    this.forward = new PropertiesRepr(propertyCountMax);
    this.scratch = new Uint8Array(packetSizeMax);
  }

  /**
   * Stores a message; `properties` may be null (none), and its Message Expiry Interval, when it
   * has one, is read from them. Returns its pool slot with one reference, or -1 when the pool is
   * full.
   */
  store(topic: Span, properties: PropertiesRepr | null, payload: Span, qos: i32, retain: bool): i32 {
    const forward = this.forward;
    forward.clear();
    if (properties != null) {
      for (let i = 0; i < properties.count; i++) {
        const id = properties.ids[i];
        if (id == TOPIC_ALIAS || id == MESSAGE_EXPIRY_INTERVAL || id == SUBSCRIPTION_IDENTIFIER || id == WILL_DELAY_INTERVAL) continue;
        const entry = forward.addNumber(id, properties.numbers[i]);
        if (entry < 0) break; // more than propertyCountMax: the packet could not have decoded
        forward.spans[entry].copyFrom(properties.spans[i]);
        forward.pairValues[entry].copyFrom(properties.pairValues[i]);
      }
    }
    const writer = this.writer;
    writer.reset(this.scratch, 0);
    propertiesBodyEncode(forward, writer);
    this.span.set(this.scratch, 0, writer.position);
    const expiryOn = properties != null && properties.has(MESSAGE_EXPIRY_INTERVAL);
    const expiry = properties != null ? properties.numberOf(MESSAGE_EXPIRY_INTERVAL, 0) : 0;
    return this.pool.allocate(topic, this.span, payload, qos, retain, expiryOn, expiry);
  }
}
