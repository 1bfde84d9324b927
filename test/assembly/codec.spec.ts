// Goal: the codec's building blocks behave as the spec says, inside the AssemblyScript runtime
// itself (as-pect), not only through the compiled harness.
// Method: small hand-made inputs at each boundary — varint widths and overlong forms, UTF-8
// edge code points, topic wildcard placement and matching, property rules.
import { Reader, Span, Writer, varintDecode, varintLastSize, varintSize, VARINT_NEED_MORE } from "../../firmware/core/bytes";
import { ERR_PROPERTY_DUPLICATE, ERR_PROPERTY_INVALID, ERR_PROPERTY_VALUE, ERR_VARINT, errorReasonCode } from "../../firmware/core/errors";
import { utf8Valid } from "../../firmware/codec/utf8";
import { topicFilterValid, topicMatches, topicNameValid } from "../../firmware/codec/topic";
import { PropertiesRepr, propertiesDecode, propertiesEncode, propertiesEncodeLength } from "../../firmware/codec/properties";
import { CONNECT, PUBLISH, RECEIVE_MAXIMUM, USER_PROPERTY } from "../../firmware/codec/constants";
import { Limits, limitsCheck } from "../../firmware/limits";
import { bytes, text } from "./support";

describe("variable byte integer (MQTT 5 §1.5.5)", () => {
  it("decodes each width at its limits", () => {
    expect(varintDecode(bytes([0x00]), 0, 1)).toBe(0);
    expect(varintDecode(bytes([0x7f]), 0, 1)).toBe(127);
    expect(varintDecode(bytes([0x80, 0x01]), 0, 2)).toBe(128);
    expect(varintLastSize).toBe(2);
    expect(varintDecode(bytes([0xff, 0x7f]), 0, 2)).toBe(16383);
    expect(varintDecode(bytes([0x80, 0x80, 0x01]), 0, 3)).toBe(16384);
    expect(varintDecode(bytes([0xff, 0xff, 0xff, 0x7f]), 0, 4)).toBe(268435455);
    expect(varintLastSize).toBe(4);
  });

  it("refuses a fifth byte and overlong forms, and waits for a cut one", () => {
    expect(varintDecode(bytes([0xff, 0xff, 0xff, 0xff, 0x01]), 0, 5)).toBe(ERR_VARINT);
    expect(varintDecode(bytes([0x80, 0x00]), 0, 2)).toBe(ERR_VARINT);
    expect(varintDecode(bytes([0xff, 0x80, 0x00]), 0, 3)).toBe(ERR_VARINT);
    expect(varintDecode(bytes([0x80, 0x80]), 0, 2)).toBe(VARINT_NEED_MORE);
  });

  it("encodes what it decodes", () => {
    const values: i32[] = [0, 1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455];
    const buffer = new Uint8Array(4);
    const writer = new Writer();
    for (let i = 0; i < values.length; i++) {
      writer.reset(buffer, 0);
      writer.varint(values[i]);
      expect(writer.position).toBe(varintSize(values[i]));
      expect(varintDecode(buffer, 0, writer.position)).toBe(values[i]);
    }
  });
});

describe("UTF-8 (MQTT 5 §1.5.4)", () => {
  it("accepts every length and the edges of the code space", () => {
    expect(utf8Valid(bytes([0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]), 0, 10)).toBe(true);
    expect(utf8Valid(bytes([0xef, 0xbf, 0xbf]), 0, 3)).toBe(true); // U+FFFF, a non-character: allowed
    expect(utf8Valid(bytes([0xf4, 0x8f, 0xbf, 0xbf]), 0, 4)).toBe(true); // U+10FFFF
  });

  it("refuses U+0000, surrogates, overlong forms, and cut sequences", () => {
    expect(utf8Valid(bytes([0x41, 0x00]), 0, 2)).toBe(false);
    expect(utf8Valid(bytes([0xed, 0xa0, 0x80]), 0, 3)).toBe(false); // U+D800
    expect(utf8Valid(bytes([0xc0, 0x80]), 0, 2)).toBe(false); // overlong U+0000
    expect(utf8Valid(bytes([0xe0, 0x80, 0xaf]), 0, 3)).toBe(false); // overlong '/'
    expect(utf8Valid(bytes([0xf4, 0x90, 0x80, 0x80]), 0, 4)).toBe(false); // above U+10FFFF
    expect(utf8Valid(bytes([0xe2, 0x82]), 0, 2)).toBe(false);
    expect(utf8Valid(bytes([0x80]), 0, 1)).toBe(false);
  });
});

describe("topics (MQTT 5 §4.7)", () => {
  it("validates names and filters", () => {
    expect(topicNameValid(text("a/b/c"))).toBe(true);
    expect(topicNameValid(text("a/+/c"))).toBe(false);
    expect(topicNameValid(text("a/#"))).toBe(false);
    expect(topicFilterValid(text("#"))).toBe(true);
    expect(topicFilterValid(text("+/+/#"))).toBe(true);
    expect(topicFilterValid(text("a/#/b"))).toBe(false);
    expect(topicFilterValid(text("a#"))).toBe(false);
    expect(topicFilterValid(text("a/b+"))).toBe(false);
    expect(topicFilterValid(text(""))).toBe(false);
  });

  it("matches as the spec's examples say", () => {
    expect(topicMatches(text("sport/tennis/player1/#"), text("sport/tennis/player1"))).toBe(true);
    expect(topicMatches(text("sport/tennis/player1/#"), text("sport/tennis/player1/score/wimbledon"))).toBe(true);
    expect(topicMatches(text("sport/#"), text("sport"))).toBe(true);
    expect(topicMatches(text("sport/tennis/+"), text("sport/tennis/player1/ranking"))).toBe(false);
    expect(topicMatches(text("sport/+"), text("sport/"))).toBe(true);
    expect(topicMatches(text("+/+"), text("/finance"))).toBe(true);
    expect(topicMatches(text("/+"), text("/finance"))).toBe(true);
    expect(topicMatches(text("+"), text("/finance"))).toBe(false);
    expect(topicMatches(text("#"), text("$SYS/broker/uptime"))).toBe(false); // MQTT-4.7.2-1
    expect(topicMatches(text("+/monitor/Clients"), text("$SYS/monitor/Clients"))).toBe(false);
    expect(topicMatches(text("$SYS/#"), text("$SYS/broker/uptime"))).toBe(true);
    expect(topicMatches(text("a/b"), text("a/bc"))).toBe(false);
  });
});

describe("properties (MQTT 5 §2.2.2)", () => {
  it("keeps wire order and re-encodes the same bytes", () => {
    // receive maximum 10, user property ("k", "v"), session expiry 60
    const wire = bytes([15, 0x21, 0x00, 0x0a, 0x26, 0x00, 0x01, 0x6b, 0x00, 0x01, 0x76, 0x11, 0x00, 0x00, 0x00, 0x3c]);
    const reader = new Reader();
    reader.reset(wire, 0, wire.length);
    const properties = new PropertiesRepr(8);
    propertiesDecode(reader, CONNECT, properties);
    expect(reader.error).toBe(0);
    expect(properties.count).toBe(3);
    expect(properties.ids[1]).toBe(USER_PROPERTY);
    expect(properties.numberOf(RECEIVE_MAXIMUM, -1)).toBe(10);
    const again = new Uint8Array(propertiesEncodeLength(properties));
    const writer = new Writer();
    writer.reset(again, 0);
    propertiesEncode(properties, writer);
    for (let i = 0; i < wire.length; i++) expect(again[i]).toBe(wire[i]);
  });

  it("refuses a property of another packet, a duplicate and a forbidden value", () => {
    const reader = new Reader();
    const properties = new PropertiesRepr(8);
    reader.reset(bytes([3, 0x23, 0x00, 0x01]), 0, 4); // topic alias in CONNECT
    propertiesDecode(reader, CONNECT, properties);
    expect(reader.error).toBe(ERR_PROPERTY_INVALID);
    reader.reset(bytes([6, 0x23, 0x00, 0x01, 0x23, 0x00, 0x02]), 0, 7); // topic alias twice
    propertiesDecode(reader, PUBLISH, properties);
    expect(reader.error).toBe(ERR_PROPERTY_DUPLICATE);
    reader.reset(bytes([3, 0x21, 0x00, 0x00]), 0, 4); // receive maximum 0
    propertiesDecode(reader, CONNECT, properties);
    expect(reader.error).toBe(ERR_PROPERTY_VALUE);
    expect(errorReasonCode(ERR_PROPERTY_VALUE)).toBe(0x82);
    expect(errorReasonCode(ERR_PROPERTY_INVALID)).toBe(0x81);
  });
});

describe("limits", () => {
  it("refuses limits that cannot work, and accepts every board's", () => {
    const limits = new Limits();
    expect(limitsCheck(limits)).toBe(0);
    expect(limits.configure(63, 8, 4)).toBe(-1); // smaller than a useful CONNECT
    expect(limits.configure(512, 0, 4)).toBe(-2);
    expect(limits.configure(512, 8, 0)).toBe(-3);
    expect(limits.configure(512, 8, 4)).toBe(0); // esp8266
    expect(limits.configure(262144, 32, 16)).toBe(0); // pi-gateway
  });
});
