/**
 * Any packet: the framing entry point a connection calls with whatever bytes it has.
 *
 * `PacketRepr` holds one preallocated Repr per packet shape, all sharing one property list (and
 * a second for a will), since only one packet is held at a time; `packetDecode` frames the next
 * packet, refuses it early when its Remaining Length already proves it too large (so a peer
 * cannot make us wait for bytes we will not keep), and decodes it into the Repr for its type.
 * `packet.type` says which Repr is filled.
 */
import { ERR_PACKET_TYPE, ERR_TOO_LARGE } from "../core/errors";
import { Limits } from "../limits";
import {
  AUTH, CONNACK, CONNECT, DISCONNECT, MQTT_3_1_1, MQTT_5, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBREC, PUBREL,
  PUBLISH, SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE,
} from "./constants";
import { FixedHeaderRepr, fixedHeaderDecode, frameBegin, frameEncodeBegin, frameEnd, packetLength } from "./header";
import { ConnectRepr, connectDecode, connectEncode, connectEncodeLength } from "./connect";
import { ConnackRepr, connackDecode, connackEncode, connackEncodeLength } from "./connack";
import { PublishRepr, publishDecode, publishEncode, publishEncodeLength } from "./publish";
import { AckRepr, ackDecode, ackEncode, ackEncodeLength } from "./ack";
import { SubscribeRepr, subscribeDecode, subscribeEncode, subscribeEncodeLength } from "./subscribe";
import { AckListRepr, ackListDecode, ackListEncode, ackListEncodeLength } from "./ack_list";
import { DisconnectRepr, disconnectDecode, disconnectEncode, disconnectEncodeLength } from "./disconnect";
import { PropertiesRepr } from "./properties";

export class PacketRepr {
  /** Which Repr below holds the packet; 0 before the first decode. */
  type: i32 = 0;
  /** Protocol level it was decoded with, or is to be encoded with. */
  version: i32 = MQTT_3_1_1;
  readonly connect: ConnectRepr;
  readonly connack: ConnackRepr;
  readonly publish: PublishRepr;
  /** PUBACK, PUBREC, PUBREL, PUBCOMP. */
  readonly ack: AckRepr;
  /** SUBSCRIBE and UNSUBSCRIBE. */
  readonly subscribe: SubscribeRepr;
  /** SUBACK and UNSUBACK. */
  readonly ackList: AckListRepr;
  /** DISCONNECT and AUTH. */
  readonly disconnect: DisconnectRepr;

  constructor(limits: Limits) {
    const properties = new PropertiesRepr(limits.propertyCountMax);
    this.connect = new ConnectRepr(properties, new PropertiesRepr(limits.propertyCountMax));
    this.connack = new ConnackRepr(properties);
    this.publish = new PublishRepr(properties);
    this.ack = new AckRepr(properties);
    this.subscribe = new SubscribeRepr(limits.topicFilterCountMax, properties);
    this.ackList = new AckListRepr(properties);
    this.disconnect = new DisconnectRepr(properties);
  }
}

const scratchHeader: FixedHeaderRepr = new FixedHeaderRepr();

/**
 * Decodes the next packet at `source[offset .. offset+length)` for a connection speaking
 * `version` (ignored for CONNECT, which names its own). Returns bytes consumed (> 0), 0 when
 * more bytes are needed, or a negative error; ERR_TOO_LARGE as soon as the fixed header shows
 * the packet exceeds `packetSizeMax`.
 */
export function packetDecode(source: Uint8Array, offset: i32, length: i32, target: PacketRepr, version: i32, packetSizeMax: i32): i32 {
  const headerLength = fixedHeaderDecode(source, offset, length, scratchHeader);
  if (headerLength <= 0) return headerLength;
  const type = scratchHeader.type;
  if (type == AUTH && version < MQTT_5) return ERR_PACKET_TYPE; // AUTH is new in 5.0
  if (scratchHeader.remainingLength > packetSizeMax - headerLength) return ERR_TOO_LARGE; // MQTT 5 §3.1.2.11.4
  if (headerLength + scratchHeader.remainingLength > length) return 0;
  target.type = type;
  target.version = version;
  let result: i32 = ERR_PACKET_TYPE;
  switch (type) {
    case CONNECT:
      result = connectDecode(source, offset, length, target.connect);
      if (result > 0) target.version = target.connect.version;
      break;
    case CONNACK:
      result = connackDecode(source, offset, length, target.connack, version);
      break;
    case PUBLISH:
      result = publishDecode(source, offset, length, target.publish, version);
      break;
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP:
      result = ackDecode(source, offset, length, target.ack, version, type);
      break;
    case SUBSCRIBE:
    case UNSUBSCRIBE:
      result = subscribeDecode(source, offset, length, target.subscribe, version, type);
      break;
    case SUBACK:
    case UNSUBACK:
      result = ackListDecode(source, offset, length, target.ackList, version, type);
      break;
    case PINGREQ:
    case PINGRESP:
      result = frameBegin(source, offset, length, type);
      if (result > 0) result = frameEnd(result); // a non-zero Remaining Length is ERR_LENGTH
      break;
    case DISCONNECT:
    case AUTH:
      result = disconnectDecode(source, offset, length, target.disconnect, version, type);
      break;
  }
  return result;
}

/** Bytes `packet` takes on the wire, for the Repr its `type` names. */
export function packetEncodeLength(packet: PacketRepr): i32 {
  switch (packet.type) {
    case CONNECT: return connectEncodeLength(packet.connect);
    case CONNACK: return connackEncodeLength(packet.connack);
    case PUBLISH: return publishEncodeLength(packet.publish);
    case PUBACK:
    case PUBREC:
    case PUBREL:
    case PUBCOMP: return ackEncodeLength(packet.ack);
    case SUBSCRIBE:
    case UNSUBSCRIBE: return subscribeEncodeLength(packet.subscribe);
    case SUBACK:
    case UNSUBACK: return ackListEncodeLength(packet.ackList);
    case PINGREQ:
    case PINGRESP: return packetLength(0);
    case DISCONNECT:
    case AUTH: return disconnectEncodeLength(packet.disconnect);
  }
  return 0;
}

/**
 * Encodes the Repr that `packet.type` names at `target[offset ..)`, after copying the packet's
 * type and version into it. Returns bytes written, or ERR_TARGET_SPACE.
 */
export function packetEncode(packet: PacketRepr, target: Uint8Array, offset: i32): i32 {
  const type = packet.type;
  const version = packet.version;
  switch (type) {
    case CONNECT:
      packet.connect.version = version;
      return connectEncode(packet.connect, target, offset);
    case CONNACK:
      packet.connack.version = version;
      return connackEncode(packet.connack, target, offset);
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
    case SUBACK:
    case UNSUBACK:
      packet.ackList.version = version;
      packet.ackList.type = type;
      return ackListEncode(packet.ackList, target, offset);
    case PINGREQ:
    case PINGRESP:
      return frameEncodeBegin(type, 0, 0, target, offset);
    case DISCONNECT:
    case AUTH:
      packet.disconnect.version = version;
      packet.disconnect.type = type;
      return disconnectEncode(packet.disconnect, target, offset);
  }
  return ERR_PACKET_TYPE;
}
