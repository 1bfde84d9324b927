/**
 * The broker core behind a few numeric calls, so tests script bytes and time against it in
 * both builds (WASM release, WASM checked, esbuild JS) — no sockets, no host. Bytes cross
 * through the harness windows: what a client sends is written to `input`, what the broker
 * answers is read from `output`.
 *
 * Security is a small ACL the test writes (`brokerDriverRule`): rules of (user name or
 * anonymous, topic prefix, access bits). With no rule everything is allowed, as with no
 * acl_file; with rules, what no rule grants is refused. The user name "bad" fails its login
 * (0x86). Nothing allocates after `brokerDriverInit`.
 */
import { Broker } from "../../firmware/broker/broker";
import { Limits, brokerLimitsCheck, limitSet } from "../../firmware/limits";
import { Security } from "../../firmware/hal/security";
import { Span } from "../../firmware/core/bytes";
import { input, output } from "./harness";

const RULE_COUNT_MAX: i32 = 8;
const RULE_TEXT_SIZE: i32 = 64;

class ScriptSecurity extends Security {
  ruleCount: i32 = 0;
  readonly ruleUserLength: Int32Array = new Int32Array(RULE_COUNT_MAX);
  readonly ruleUser: Uint8Array = new Uint8Array(RULE_COUNT_MAX * RULE_TEXT_SIZE);
  readonly ruleTopicLength: Int32Array = new Int32Array(RULE_COUNT_MAX);
  readonly ruleTopic: Uint8Array = new Uint8Array(RULE_COUNT_MAX * RULE_TEXT_SIZE);
  readonly ruleAccess: Int32Array = new Int32Array(RULE_COUNT_MAX);

  authenticate(slot: i32, clientId: Span, hasUsername: bool, username: Span, hasPassword: bool, password: Span): i32 {
    if (hasUsername && username.length == 3 && username.at(0) == 0x62 && username.at(1) == 0x61 && username.at(2) == 0x64) return 0x86;
    return 0;
  }

  authorize(clientId: Span, hasUsername: bool, username: Span, access: i32, topic: Span): bool {
    if (this.ruleCount == 0) return true;
    for (let rule = 0; rule < this.ruleCount; rule++) {
      if ((this.ruleAccess[rule] & access) == 0) continue;
      const userLength = this.ruleUserLength[rule];
      if (hasUsername != userLength >= 0) continue;
      if (hasUsername && !bytesEqual(this.ruleUser, rule * RULE_TEXT_SIZE, userLength, username)) continue;
      const topicLength = this.ruleTopicLength[rule];
      if (topic.length < topicLength) continue;
      let prefix = true;
      for (let i = 0; i < topicLength && prefix; i++) prefix = this.ruleTopic[rule * RULE_TEXT_SIZE + i] == topic.at(i);
      if (prefix) return true;
    }
    return false;
  }
}

function bytesEqual(bytes: Uint8Array, offset: i32, length: i32, span: Span): bool {
  if (span.length != length) return false;
  for (let i = 0; i < length; i++) if (bytes[offset + i] != span.at(i)) return false;
  return true;
}

const security: ScriptSecurity = new ScriptSecurity();
const limits: Limits = new Limits();
let broker: Broker | null = null;

/** Sets limit `id` (LIMIT_* in firmware/limits.ts) before init. Returns 0, or -1 for an unknown id. */
export function brokerDriverLimit(id: i32, value: i32): i32 {
  return limitSet(limits, id, value) ? 0 : -1;
}

/** Builds the broker with the limits set so far (everything in RAM). Returns 0, or brokerLimitsCheck's complaint. */
export function brokerDriverInit(): i32 {
  const check = brokerLimitsCheck(limits);
  if (check != 0) return check;
  broker = new Broker(limits, security, null);
  security.ruleCount = 0;
  return 0;
}

/**
 * Adds an ACL rule: user name `input[0 .. userLength)` (-1: anonymous clients), topic prefix
 * `input[max(userLength, 0) ..)` of `topicLength` bytes, `access` bits (1 read, 2 write, 4 subscribe).
 * Returns 0, or -1 when the rule table is full.
 */
export function brokerDriverRule(userLength: i32, topicLength: i32, access: i32): i32 {
  const rule = security.ruleCount;
  if (rule == RULE_COUNT_MAX || userLength > RULE_TEXT_SIZE || topicLength > RULE_TEXT_SIZE) return -1;
  const userBytes = userLength > 0 ? userLength : 0;
  for (let i = 0; i < userBytes; i++) security.ruleUser[rule * RULE_TEXT_SIZE + i] = input[i];
  for (let i = 0; i < topicLength; i++) security.ruleTopic[rule * RULE_TEXT_SIZE + i] = input[userBytes + i];
  security.ruleUserLength[rule] = userLength;
  security.ruleTopicLength[rule] = topicLength;
  security.ruleAccess[rule] = access;
  security.ruleCount = rule + 1;
  return 0;
}

/** Drops every rule: everything is allowed again. */
export function brokerDriverRulesClear(): void {
  security.ruleCount = 0;
}

export function brokerDriverOpen(nowMs: i32): i32 { return broker!.open(nowMs); }
/** The client on `slot` sent `input[0 .. length)`. Returns the bytes the broker took. */
export function brokerDriverInput(slot: i32, nowMs: i32, length: i32): i32 { return broker!.input(slot, nowMs, input, 0, length); }
/** What the broker sends `slot` now, into `output`. Returns the byte count. */
export function brokerDriverOutput(slot: i32, nowMs: i32): i32 { return broker!.output(slot, nowMs, output, 0, output.length); }
export function brokerDriverClosed(slot: i32, nowMs: i32): void { broker!.closed(slot, nowMs); }
export function brokerDriverPoll(nowMs: i32): void { broker!.poll(nowMs); }
export function brokerDriverNextEvent(): i32 { return broker!.nextEvent(); }
export function brokerDriverEventSlot(): i32 { return broker!.eventSlot; }
export function brokerDriverEventReason(): i32 { return broker!.eventReason; }
export function brokerDriverInputBlocked(slot: i32): i32 { return broker!.inputBlocked(slot); }
export function brokerDriverCongested(slot: i32, congested: i32): void { broker!.congestedSet(slot, congested != 0); }
export function brokerDriverCounter(index: i32): i32 { return broker!.counters[index]; }
/** Sessions in the table, connected or not. */
export function brokerDriverSessions(): i32 { return broker!.sessions.used; }
