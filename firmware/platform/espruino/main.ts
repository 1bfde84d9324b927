/**
 * The Espruino bundle's one global object, `wrenmq`. Until the client lands it carries the
 * codec; the application sizes it with its board's limits (boards/*.json).
 */
import { Limits } from "../../limits";
import { Codec } from "../../codec/codec";
import { errorReasonCode } from "../../core/errors";

declare const global: any;

function codecCreate(packetSizeMax: i32, propertyCountMax: i32, topicFilterCountMax: i32): Codec | null {
  const limits = new Limits();
  if (limits.configure(packetSizeMax, propertyCountMax, topicFilterCountMax) != 0) return null;
  return new Codec(limits);
}

global.wrenmq = {
  codecCreate: codecCreate,
  errorReasonCode: errorReasonCode,
};
