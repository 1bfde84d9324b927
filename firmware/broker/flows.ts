/**
 * The acknowledgement half of QoS 1 and 2 (MQTT 5 §4.3): what PUBACK, PUBREC, PUBREL and PUBCOMP
 * do to a session's in-flight deliveries and QoS 2 receipts, in RAM and on the store. A
 * delivery's flow ends at PUBACK (QoS 1), or at PUBCOMP after PUBREC (QoS 2), or at a PUBREC
 * refusing it; the message is let go at PUBREC, the packet identifier only at the end
 * (MQTT-4.3.3). Acks naming no flow are ignored, or answered 0x92 where the spec says so.
 */
import { PUBCOMP, PUBREL } from "../codec/constants";
import { AckRepr } from "../codec/ack";
import { MessagePool } from "./messages";
import { INFLIGHT_FREE, INFLIGHT_PUBLISHED, INFLIGHT_RELEASED, Sessions } from "./sessions";
import { Connections } from "./connections";
import { Responses } from "./responses";
import { Durable } from "./durable";

export class Flows {
  private readonly sessions: Sessions;
  private readonly connections: Connections;
  private readonly pool: MessagePool;
  private readonly responses: Responses;
  private readonly durable: Durable;

  constructor(sessions: Sessions, connections: Connections, pool: MessagePool, responses: Responses, durable: Durable) {
    this.sessions = sessions;
    this.connections = connections;
    this.pool = pool;
    this.responses = responses;
    this.durable = durable;
  }

  puback(slot: i32, ack: AckRepr): void {
    const sessions = this.sessions;
    const session = this.connections.session[slot];
    const index = sessions.inflightFind(session, ack.packetId);
    if (index < 0 || sessions.inflightState[index] != INFLIGHT_PUBLISHED || sessions.inflightQos[index] != 1) return;
    this.inflightDone(session, index);
    this.connections.markWritable(slot);
  }

  pubrec(slot: i32, ack: AckRepr): void {
    const sessions = this.sessions;
    const session = this.connections.session[slot];
    const packetId = ack.packetId;
    const index = sessions.inflightFind(session, packetId);
    if (index < 0 || sessions.inflightQos[index] != 2) return this.responses.sendAck(slot, PUBREL, packetId, 0x92);
    if (sessions.inflightState[index] == INFLIGHT_PUBLISHED) {
      this.durable.deliveryReleased(sessions.inflightRecord[index], packetId, sessions.inflightMessage[index]);
      this.pool.release(sessions.inflightMessage[index]);
      sessions.inflightMessage[index] = -1;
      sessions.inflightState[index] = INFLIGHT_RELEASED;
    }
    if (ack.reasonCode >= 0x80) return this.inflightDone(session, index); // refused: the flow ends (MQTT 5 §4.3.3)
    this.responses.sendAck(slot, PUBREL, packetId, 0);
  }

  pubrel(slot: i32, ack: AckRepr): void {
    const session = this.connections.session[slot];
    const packetId = ack.packetId;
    const index = this.sessions.incomingFind(session, packetId);
    if (index >= 0) {
      this.durable.incomingForget(index);
      this.sessions.incomingRemove(session, index);
    }
    this.responses.sendAck(slot, PUBCOMP, packetId, index >= 0 ? 0 : 0x92);
  }

  pubcomp(slot: i32, ack: AckRepr): void {
    const session = this.connections.session[slot];
    const index = this.sessions.inflightFind(session, ack.packetId);
    if (index < 0 || this.sessions.inflightState[index] != INFLIGHT_RELEASED) return;
    this.inflightDone(session, index);
    this.connections.markWritable(slot);
  }

  /** Remembers QoS 2 `packetId` of `session` until PUBREL, on the store too for a persistent session. */
  receipt(session: i32, packetId: i32, message: i32): void {
    const index = this.sessions.incomingAdd(session, packetId); // room was checked before routing
    if (message < 0) this.durable.receiptBegin(session, packetId, -1);
    this.durable.receiptEnd(index);
  }

  /** Ends in-flight delivery `index` of `session` (acknowledged, refused, or its session ended). */
  inflightDone(session: i32, index: i32): void {
    const sessions = this.sessions;
    const message = sessions.inflightMessage[index];
    const published = sessions.inflightState[index] == INFLIGHT_PUBLISHED && message >= 0;
    this.durable.deliveryDone(sessions.inflightRecord[index], published ? message : -1);
    sessions.inflightRecord[index] = -1;
    if (published) this.pool.release(message);
    sessions.inflightState[index] = INFLIGHT_FREE;
    sessions.inflightMessage[index] = -1;
    sessions.inflightCount[session]--;
  }
}
