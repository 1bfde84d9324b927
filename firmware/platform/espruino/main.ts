/**
 * The Espruino bundle's one global object, `wrenmq`. Until the client lands it carries the
 * codec, sized from the board profile that the build injects as WRENMQ_BOARD (esbuild
 * `--define`), or from the defaults in limits.ts.
 */
import { Limits, limitsCheck } from "../../limits";
import { Codec } from "../../codec/codec";
import { errorReasonCode } from "../../core/errors";

declare const global: any;

function codecCreate(packetSizeMax: i32, propertyCountMax: i32, topicFilterCountMax: i32): Codec | null {
  const limits = new Limits();
  limits.packetSizeMax = packetSizeMax;
  limits.propertyCountMax = propertyCountMax;
  limits.topicFilterCountMax = topicFilterCountMax;
  if (limitsCheck(limits) != 0) return null;
  return new Codec(limits);
}

global.wrenmq = {
  codecCreate: codecCreate,
  errorReasonCode: errorReasonCode,
};
