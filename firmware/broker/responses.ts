/**
 * What the broker says back on a connection: acknowledgements, CONNACK refusals and
 * DISCONNECTs, written into the connection's control buffer for `Broker.output` to hand over,
 * and the close events the host acts on. Refusals follow MQTT 5 §4.13: the right reason code
 * in 5.0 (3.x only has CONNACK return codes, and otherwise just closes), then close.
 */
import { ERR_PROTOCOL_VERSION, errorReasonCode } from "../core/errors";
import { DISCONNECT, MQTT_5 } from "../codec/constants";
import { ConnackRepr, connackEncode } from "../codec/connack";
import { AckRepr, ackEncode } from "../codec/ack";
import { AckListRepr, ackListEncode } from "../codec/ack_list";
import { DisconnectRepr, disconnectEncode } from "../codec/disconnect";
import { PropertiesRepr } from "../codec/properties";
import { CONNECTION_AWAITING_CONNECT, CONNECTION_CLOSING, CONNECTION_CONNECTED, CONNECTION_FREE, CONTROL_SIZE, Connections } from "./connections";
import { COUNTER_PROTOCOL_ERRORS, COUNTER_REFUSED_CONNECTIONS, EVENT_CLOSE } from "./counters";

/** Fields of one event in the ring. */
const EVENT_FIELDS: i32 = 3;

export class Responses {
  private readonly connections: Connections;
  private readonly counters: Int32Array;
  /** A CONNACK to fill in: the broker sets its properties for an accepted CONNECT. */
  readonly connack: ConnackRepr = new ConnackRepr(new PropertiesRepr(8));
  private readonly ack: AckRepr = new AckRepr(new PropertiesRepr(1));
  private readonly ackList: AckListRepr = new AckListRepr(new PropertiesRepr(1));
  private readonly disconnect: DisconnectRepr = new DisconnectRepr(new PropertiesRepr(1));
  /** A ring of events, EVENT_FIELDS each: kind, slot, reason. */
  private readonly events: Int32Array;
  private readonly eventCapacity: i32;
  private eventHead: i32 = 0;
  private eventLength: i32 = 0;
  /** The slot and reason of the event `nextEvent` returned last. */
  eventSlot: i32 = -1;
  eventReason: i32 = 0;

  constructor(connections: Connections, counters: Int32Array) {
    this.connections = connections;
    this.counters = counters;
    // Per slot at most one EVENT_CONNECTED and one EVENT_CLOSE until the host pulls them.
    const capacity = connections.count * 2;
    this.eventCapacity = capacity;
    this.events = new Int32Array(capacity * EVENT_FIELDS);
  }

  /** Pulls the next event: returns its kind (EVENT_*), or -1 when there is none. */
  nextEvent(): i32 {
    if (this.eventLength == 0) return -1;
    const at = this.eventHead * EVENT_FIELDS;
    this.eventSlot = this.events[at + 1];
    this.eventReason = this.events[at + 2];
    this.eventHead = (this.eventHead + 1) % this.eventCapacity;
    this.eventLength--;
    return this.events[at];
  }

  /** Queues an event for the host. */
  event(kind: i32, slot: i32, reason: i32): void {
    assert(this.eventLength < this.eventCapacity, "Responses.event: ring sized two per slot");
    const at = ((this.eventHead + this.eventLength) % this.eventCapacity) * EVENT_FIELDS;
    this.events[at] = kind;
    this.events[at + 1] = slot;
    this.events[at + 2] = reason;
    this.eventLength++;
  }

  controlWrite(slot: i32, written: i32): void {
    assert(written > 0, "Broker.controlWrite: control buffer sized by CONTROL_RESERVE");
    this.connections.controlCommit(slot, written);
  }

  /** Moves as much of the control buffer as fits into `target`. */
  controlDrain(slot: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    const connections = this.connections;
    const length = connections.controlLength[slot];
    if (length == 0) return 0;
    const base = slot * CONTROL_SIZE;
    const step = length < capacity ? length : capacity;
    bytesCopy(target, offset, connections.control, base, step);
    if (step < length) bytesCopy(connections.control, base, connections.control, base + step, length - step);
    connections.controlLength[slot] = length - step;
    return step;
  }

  ackEncodeInto(slot: i32, type: i32, packetId: i32, reasonCode: i32, target: Uint8Array, offset: i32): i32 {
    const ack = this.ack;
    ack.version = this.connections.version[slot];
    ack.type = type;
    ack.packetId = packetId;
    ack.reasonCode = ack.version == MQTT_5 ? reasonCode : 0;
    ack.form = 0;
    ack.properties.clear();
    return ackEncode(ack, target, offset);
  }

  sendAck(slot: i32, type: i32, packetId: i32, reasonCode: i32): void {
    const connections = this.connections;
    this.controlWrite(slot, this.ackEncodeInto(slot, type, packetId, reasonCode, connections.control, connections.controlEnd(slot)));
  }

  /** Sends a SUBACK or UNSUBACK (`type`) carrying `codes[0 .. count)`. */
  sendAckList(slot: i32, type: i32, packetId: i32, codes: Uint8Array, count: i32): void {
    const connections = this.connections;
    const ackList = this.ackList;
    ackList.version = connections.version[slot];
    ackList.type = type;
    ackList.packetId = packetId;
    ackList.reasonCodes.set(codes, 0, count);
    ackList.properties.clear();
    this.controlWrite(slot, ackListEncode(ackList, connections.control, connections.controlEnd(slot)));
  }

  sendEmpty(slot: i32, type: i32): void {
    const connections = this.connections;
    const at = connections.controlEnd(slot);
    connections.control[at] = type << 4;
    connections.control[at + 1] = 0;
    connections.controlCommit(slot, 2);
  }

  /** Sends DISCONNECT with `reasonCode` (5.0 only; 3.x just closes) and closes. */
  sendDisconnect(slot: i32, reasonCode: i32): void {
    const connections = this.connections;
    if (connections.version[slot] == MQTT_5 && connections.state[slot] == CONNECTION_CONNECTED) {
      const disconnect = this.disconnect;
      disconnect.version = MQTT_5;
      disconnect.type = DISCONNECT;
      disconnect.reasonCode = reasonCode;
      disconnect.form = 0;
      disconnect.properties.clear();
      this.controlWrite(slot, disconnectEncode(disconnect, connections.control, connections.controlEnd(slot)));
    }
    if (reasonCode >= 0x80) this.counters[COUNTER_PROTOCOL_ERRORS]++;
    this.close(slot, reasonCode);
  }

  /** Refuses a CONNECT: return code `code3` before 5.0, reason `code5` in 5.0 (MQTT-3.2.2-5). */
  refuseConnect(slot: i32, code3: i32, code5: i32): void {
    const connections = this.connections;
    const connack = this.connack;
    connack.version = connections.version[slot];
    connack.sessionPresent = false;
    connack.reasonCode = connack.version == MQTT_5 ? code5 : code3;
    connack.properties.clear();
    this.controlWrite(slot, connackEncode(connack, connections.control, connections.controlEnd(slot)));
    this.counters[COUNTER_REFUSED_CONNECTIONS]++;
    this.close(slot, code5);
  }

  /** Answers bad bytes from the peer: the right refusal, then close (MQTT 5 §4.13). */
  refuse(slot: i32, error: i32): void {
    const connections = this.connections;
    if (connections.state[slot] == CONNECTION_AWAITING_CONNECT) {
      // An unknown protocol level gets CONNACK 0x01 in the 3.1.1 form (MQTT-3.1.2-2); anything else just closes.
      if (error == ERR_PROTOCOL_VERSION) return this.refuseConnect(slot, 1, 0x84);
      this.counters[COUNTER_PROTOCOL_ERRORS]++;
      return this.close(slot, errorReasonCode(error));
    }
    this.sendDisconnect(slot, errorReasonCode(error));
  }

  /**
   * Moves `slot` to CLOSING and tells the host to close the socket once output is drained;
   * `reason` as EVENT_CLOSE documents it.
   */
  close(slot: i32, reason: i32): void {
    const connections = this.connections;
    if (connections.state[slot] == CONNECTION_CLOSING || connections.state[slot] == CONNECTION_FREE) return;
    if (connections.state[slot] == CONNECTION_CONNECTED) connections.connected--;
    connections.state[slot] = CONNECTION_CLOSING;
    this.event(EVENT_CLOSE, slot, reason);
    connections.markWritable(slot);
  }
}
