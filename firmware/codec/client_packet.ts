/**
 * The packets of a client's connection: what a server sends it and what it sends a server
 * (MQTT 5 §2.1.2, "Direction of flow"). The same framing as packet.ts, but only over the packet
 * types that flow each way, so a client-only build carries no decoder for CONNECT or SUBSCRIBE
 * and no encoder for CONNACK or SUBACK.
 *
 * `clientPacketDecode` decodes every packet a server may send with the codec's full strictness.
 * The rest — CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, and AUTH, which a server sends only to a
 * client that asked for enhanced authentication (MQTT 5 §4.12) — are framed (type, fixed flags,
 * length) and handed over undecoded: the type alone is the server's Protocol Error (§4.13),
 * whatever the body holds.
 */
import { ERR_PACKET_TYPE, ERR_TOO_LARGE } from "../core/errors";
import { Limits } from "../limits";
import {
  AUTH, CONNACK, CONNECT, DISCONNECT, MQTT_3_1_1, MQTT_5, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBREC, PUBREL,
  PUBLISH, SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE,
} from "./constants";
import { FixedHeaderRepr, fixedHeaderDecode, frameBegin, frameEncodeBegin, frameEnd, packetLength } from "./header";
import { ConnectRepr, connectEncode, connectEncodeLength } from "./connect";
import { ConnackRepr, connackDecode } from "./connack";
import { PublishRepr, publishDecode, publishEncode, publishEncodeLength } from "./publish";
import { AckRepr, ackDecode, ackEncode, ackEncodeLength } from "./ack";
import { SubscribeRepr, subscribeEncode, subscribeEncodeLength } from "./subscribe";
import { AckListRepr, ackListDecode } from "./ack_list";
import { DisconnectRepr, disconnectDecode, disconnectEncode, disconnectEncodeLength } from "./disconnect";
import { PropertiesRepr } from "./properties";

/** A packet from the server, in the Repr its `type` names; all share one property list. */
export class ClientInboundRepr {
  /** Which Repr below holds the packet; 0 before the first decode. */
  type: i32 = 0;
  readonly connack: ConnackRepr;
  readonly publish: PublishRepr;
  /** PUBACK, PUBREC, PUBREL, PUBCOMP. */
  readonly ack: AckRepr;
  /** SUBACK and UNSUBACK. */
  readonly ackList: AckListRepr;
  readonly disconnect: DisconnectRepr;

  constructor(limits: Limits) {
    const properties = new PropertiesRepr(limits.propertyCountMax);
    this.connack = new ConnackRepr(properties);
    this.publish = new PublishRepr(properties);
    this.ack = new AckRepr(properties);
    this.ackList = new AckListRepr(properties);
    this.disconnect = new DisconnectRepr(properties);
  }
}

/** A packet for the server, in the Repr its `type` names; all share one property list. */
export class ClientOutboundRepr {
  /** Which Repr below holds the packet. */
  type: i32 = 0;
  /** Protocol level to encode with. */
  version: i32 = MQTT_3_1_1;
  readonly connect: ConnectRepr;
  readonly publish: PublishRepr;
  /** PUBACK, PUBREC, PUBREL, PUBCOMP. */
  readonly ack: AckRepr;
  /** SUBSCRIBE and UNSUBSCRIBE, with room for `filterCount` filters. */
  readonly subscribe: SubscribeRepr;
  readonly disconnect: DisconnectRepr;

  constructor(limits: Limits, filterCount: i32) {
    const properties = new PropertiesRepr(limits.propertyCountMax);
    this.connect = new ConnectRepr(properties, new PropertiesRepr(limits.propertyCountMax));
    this.publish = new PublishRepr(properties);
    this.ack = new AckRepr(properties);
    this.subscribe = new SubscribeRepr(filterCount, properties);
    this.disconnect = new DisconnectRepr(properties);
  }
}

const scratchHeader: FixedHeaderRepr = new FixedHeaderRepr();

/**
 * Decodes the next packet from the server at `source[offset .. offset+length)`: the
 * packetDecode contract (packet.ts) — bytes consumed (> 0), 0 for need more, or a negative
 * error, ERR_TOO_LARGE as soon as the fixed header shows more than `packetSizeMax` bytes.
 */
export function clientPacketDecode(source: Uint8Array, offset: i32, length: i32, target: ClientInboundRepr, version: i32, packetSizeMax: i32): i32 {
  const headerLength = fixedHeaderDecode(source, offset, length, scratchHeader);
  if (headerLength <= 0) return headerLength;
  const type = scratchHeader.type;
  if (type == AUTH && version < MQTT_5) return ERR_PACKET_TYPE; // AUTH is new in 5.0
  if (scratchHeader.remainingLength > packetSizeMax - headerLength) return ERR_TOO_LARGE; // MQTT 5 §3.1.2.11.4
  if (headerLength + scratchHeader.remainingLength > length) return 0;
  target.type = type;
  switch (type) {
    case CONNACK:
      return connackDecode(source, offset, length, target.connack, version);
    case PUBLISH:
      return publishDecode(source, offset, length, target.publish, version);
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP:
      return ackDecode(source, offset, length, target.ack, version, type);
    case SUBACK:
    case UNSUBACK:
      return ackListDecode(source, offset, length, target.ackList, version, type);
    case DISCONNECT:
      return disconnectDecode(source, offset, length, target.disconnect, version, type);
  }
  // PINGRESP has no body; the client-to-server types are framed only (see above).
  const total = frameBegin(source, offset, length, type);
  return type == PINGRESP && total > 0 ? frameEnd(total) : total;
}

/** Bytes `packet` takes on the wire, for the Repr its `type` names. */
export function clientPacketEncodeLength(packet: ClientOutboundRepr): i32 {
  switch (packet.type) {
    case CONNECT: return connectEncodeLength(packet.connect);
    case PUBLISH: return publishEncodeLength(packet.publish);
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP: return ackEncodeLength(packet.ack);
    case SUBSCRIBE:
    case UNSUBSCRIBE: return subscribeEncodeLength(packet.subscribe);
    case DISCONNECT: return disconnectEncodeLength(packet.disconnect);
    case PINGREQ: return packetLength(0);
  }
  return 0;
}

/**
 * Encodes the Repr that `packet.type` names at `target[offset ..)`, after copying the packet's
 * type and version into it. Returns bytes written, or ERR_TARGET_SPACE.
 */
export function clientPacketEncode(packet: ClientOutboundRepr, target: Uint8Array, offset: i32): i32 {
  const type = packet.type;
  const version = packet.version;
  switch (type) {
    case CONNECT:
      packet.connect.version = version;
      return connectEncode(packet.connect, target, offset);
    case PUBLISH:
      packet.publish.version = version;
      return publishEncode(packet.publish, target, offset);
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP:
      packet.ack.version = version;
      packet.ack.type = type;
      return ackEncode(packet.ack, target, offset);
    case SUBSCRIBE:
    case UNSUBSCRIBE:
      packet.subscribe.version = version;
      packet.subscribe.type = type;
      return subscribeEncode(packet.subscribe, target, offset);
    case DISCONNECT:
      packet.disconnect.version = version;
      packet.disconnect.type = type;
      return disconnectEncode(packet.disconnect, target, offset);
    case PINGREQ:
      return frameEncodeBegin(type, 0, 0, target, offset);
  }
  return ERR_PACKET_TYPE;
}
