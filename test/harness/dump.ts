/**
 * Writes a decoded PacketRepr as the `fields` JSON of test/vectors/README.md, so tests in
 * both builds compare what the codec understood with what the vectors (and mqtt-packet) say.
 */
import { Span } from "../../firmware/core/bytes";
import {
  AUTH, CONNACK, CONNECT, DISCONNECT, MQTT_5, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC,
  PUBREL, SUBACK, SUBSCRIBE, TYPE_BINARY, TYPE_PAIR, TYPE_UTF8, UNSUBACK, UNSUBSCRIBE, propertyType,
} from "../../firmware/codec/constants";
import { PacketRepr } from "../../firmware/codec/packet";
import { PropertiesRepr } from "../../firmware/codec/properties";
import { JsonWriter } from "./json";

function typeName(type: i32): string {
  switch (type) {
    case CONNECT: return "connect";
    case CONNACK: return "connack";
    case PUBLISH: return "publish";
    case PUBACK: return "puback";
    case PUBREC: return "pubrec";
    case PUBREL: return "pubrel";
    case PUBCOMP: return "pubcomp";
    case SUBSCRIBE: return "subscribe";
    case SUBACK: return "suback";
    case UNSUBSCRIBE: return "unsubscribe";
    case UNSUBACK: return "unsuback";
    case PINGREQ: return "pingreq";
    case PINGRESP: return "pingresp";
    case DISCONNECT: return "disconnect";
    case AUTH: return "auth";
  }
  return "unknown";
}

function propertyName(id: i32): string {
  switch (id) {
    case 0x01: return "payloadFormatIndicator";
    case 0x02: return "messageExpiryInterval";
    case 0x03: return "contentType";
    case 0x08: return "responseTopic";
    case 0x09: return "correlationData";
    case 0x0b: return "subscriptionIdentifier";
    case 0x11: return "sessionExpiryInterval";
    case 0x12: return "assignedClientIdentifier";
    case 0x13: return "serverKeepAlive";
    case 0x15: return "authenticationMethod";
    case 0x16: return "authenticationData";
    case 0x17: return "requestProblemInformation";
    case 0x18: return "willDelayInterval";
    case 0x19: return "requestResponseInformation";
    case 0x1a: return "responseInformation";
    case 0x1c: return "serverReference";
    case 0x1f: return "reasonString";
    case 0x21: return "receiveMaximum";
    case 0x22: return "topicAliasMaximum";
    case 0x23: return "topicAlias";
    case 0x24: return "maximumQos";
    case 0x25: return "retainAvailable";
    case 0x26: return "userProperty";
    case 0x27: return "maximumPacketSize";
    case 0x28: return "wildcardSubscriptionAvailable";
    case 0x29: return "subscriptionIdentifierAvailable";
    case 0x2a: return "sharedSubscriptionAvailable";
  }
  return "unknown";
}

function dumpProperties(json: JsonWriter, properties: PropertiesRepr): void {
  json.key("properties");
  json.beginArray();
  for (let i = 0; i < properties.count; i++) {
    const id = properties.ids[i];
    const type = propertyType(id);
    json.beginArray();
    json.literal(propertyName(id));
    if (type == TYPE_PAIR) {
      json.beginArray();
      json.string(properties.spans[i]);
      json.string(properties.pairValues[i]);
      json.endArray();
    } else if (type == TYPE_UTF8) {
      json.string(properties.spans[i]);
    } else if (type == TYPE_BINARY) {
      json.hex(properties.spans[i]);
    } else {
      json.unsigned(properties.numbers[i]);
    }
    json.endArray();
  }
  json.endArray();
}

function dumpReasonCodes(json: JsonWriter, codes: Span): void {
  json.key("reasonCodes");
  json.beginArray();
  for (let i = 0; i < codes.length; i++) json.unsigned(codes.at(i));
  json.endArray();
}

/** Writes `packet` as JSON into `json` (which the caller reset). */
export function packetDump(json: JsonWriter, packet: PacketRepr): void {
  const type = packet.type;
  const v5 = packet.version == MQTT_5;
  json.beginObject();
  json.key("type");
  json.literal(typeName(type));
  if (type == CONNECT) {
    const c = packet.connect;
    json.key("protocolName");
    json.literal(c.version == 3 ? "MQIsdp" : "MQTT");
    json.key("protocolVersion"); json.unsigned(c.version);
    if (c.bridge) { json.key("bridge"); json.boolean(true); }
    json.key("cleanStart"); json.boolean(c.cleanStart);
    json.key("keepAlive"); json.unsigned(c.keepAlive);
    json.key("clientId"); json.string(c.clientId);
    json.key("will");
    if (c.willFlag) {
      json.beginObject();
      json.key("topic"); json.string(c.willTopic);
      json.key("payload"); json.hex(c.willPayload);
      json.key("qos"); json.unsigned(c.willQos);
      json.key("retain"); json.boolean(c.willRetain);
      if (c.version == MQTT_5) dumpProperties(json, c.willProperties);
      json.endObject();
    } else {
      json.nil();
    }
    json.key("username");
    if (c.usernameFlag) json.string(c.username); else json.nil();
    json.key("password");
    if (c.passwordFlag) json.hex(c.password); else json.nil();
    if (c.version == MQTT_5) dumpProperties(json, c.properties);
  } else if (type == CONNACK) {
    json.key("sessionPresent"); json.boolean(packet.connack.sessionPresent);
    json.key("reasonCode"); json.unsigned(packet.connack.reasonCode);
    if (v5) dumpProperties(json, packet.connack.properties);
  } else if (type == PUBLISH) {
    const p = packet.publish;
    json.key("dup"); json.boolean(p.dup);
    json.key("qos"); json.unsigned(p.qos);
    json.key("retain"); json.boolean(p.retain);
    json.key("topic"); json.string(p.topic);
    json.key("packetId"); json.unsigned(p.packetId);
    json.key("payload"); json.hex(p.payload);
    if (v5) dumpProperties(json, p.properties);
  } else if (type >= PUBACK && type <= PUBCOMP) {
    json.key("packetId"); json.unsigned(packet.ack.packetId);
    json.key("reasonCode"); json.unsigned(packet.ack.reasonCode);
    if (v5) dumpProperties(json, packet.ack.properties);
  } else if (type == SUBSCRIBE || type == UNSUBSCRIBE) {
    const s = packet.subscribe;
    json.key("packetId"); json.unsigned(s.packetId);
    json.key(type == SUBSCRIBE ? "subscriptions" : "topicFilters");
    json.beginArray();
    for (let i = 0; i < s.count; i++) {
      const entry = s.subscriptions[i];
      if (type == UNSUBSCRIBE) {
        json.string(entry.topicFilter);
        continue;
      }
      json.beginObject();
      json.key("topicFilter"); json.string(entry.topicFilter);
      json.key("qos"); json.unsigned(entry.qos);
      json.key("noLocal"); json.boolean(entry.noLocal);
      json.key("retainAsPublished"); json.boolean(entry.retainAsPublished);
      json.key("retainHandling"); json.unsigned(entry.retainHandling);
      json.endObject();
    }
    json.endArray();
    if (v5) dumpProperties(json, s.properties);
  } else if (type == SUBACK || type == UNSUBACK) {
    json.key("packetId"); json.unsigned(packet.ackList.packetId);
    dumpReasonCodes(json, packet.ackList.reasonCodes);
    if (v5) dumpProperties(json, packet.ackList.properties);
  } else if ((type == DISCONNECT || type == AUTH) && v5) {
    json.key("reasonCode"); json.unsigned(packet.disconnect.reasonCode);
    dumpProperties(json, packet.disconnect.properties);
  }
  json.endObject();
}
