/**
 * A session's life (MQTT 5 §4.1, §3.1.2.5): who is let in at CONNECT and with which session,
 * what happens when the connection ends (the will, going offline), and how a session ends
 * (its expiry, a clean start, persistent_client_expiration).
 *
 * Admission, in order: the protocol's own refusals (client id, Keep Alive, an Authentication
 * Method we do not offer: 0x8C, MQTT-4.12.0-1), the connection limit, the user name's room,
 * the password (the platform's `authenticate`), the will's topic (judged as a PUBLISH by the
 * same Permissions: refused with 5 / 0x87, as Mosquitto does), and the session table: a new
 * session is refused (3 / 0x97) when its user holds `sessionsPerUserMax` already, so one user
 * cannot take the table from the others. A session resumed under another user name than it was
 * opened with starts clean: messages queued for one user are never handed to another.
 *
 * A will is published when its connection ends without DISCONNECT 0x00 — the peer vanished, a
 * keepalive ran out, a protocol error, a takeover — at once, or after its Will Delay unless the
 * client returns first or the session ends sooner (MQTT-3.1.3-9). It is checked again when it
 * is published, as the session it belongs to, like any PUBLISH.
 *
 * Times: Session Expiry and Will Delay count from the moment the session went offline, on the
 * broker's Clock (core/time.ts), so every u32 interval works, 0xFFFFFFFF meaning never.
 */
import { Span } from "../core/bytes";
import { Clock } from "../core/time";
import { Limits } from "../limits";
import {
  ASSIGNED_CLIENT_IDENTIFIER, AUTHENTICATION_METHOD, MAXIMUM_PACKET_SIZE, MQTT_3_1, MQTT_5, RECEIVE_MAXIMUM,
  RETAIN_AVAILABLE, SERVER_KEEP_ALIVE, SESSION_EXPIRY_INTERVAL, SHARED_SUBSCRIPTION_AVAILABLE, TOPIC_ALIAS_MAXIMUM,
  WILL_DELAY_INTERVAL,
} from "../codec/constants";
import { connackEncode } from "../codec/connack";
import { ConnectRepr } from "../codec/connect";
import { Security } from "../hal/security";
import { CONNECTION_CONNECTED, Connections } from "./connections";
import { EXPIRY_NEVER, INFLIGHT_FREE, Sessions } from "./sessions";
import { MessagePool } from "./messages";
import { Ingest } from "./ingest";
import { Router } from "./router";
import { RetainedTable } from "./retained";
import { Durable } from "./durable";
import { TopicTable } from "./topic_table";
import { Flows } from "./flows";
import { Deliveries } from "./deliveries";
import { Responses } from "./responses";
import { Permissions } from "./permissions";
import { COUNTER_DENIED, EVENT_CONNECTED } from "./counters";

export class SessionLife {
  private readonly limits: Limits;
  private readonly security: Security;
  private readonly permissions: Permissions;
  private readonly connections: Connections;
  private readonly sessions: Sessions;
  private readonly pool: MessagePool;
  private readonly ingest: Ingest;
  private readonly router: Router;
  private readonly retained: RetainedTable;
  private readonly durable: Durable;
  private readonly topics: TopicTable;
  private readonly flows: Flows;
  private readonly deliveries: Deliveries;
  private readonly responses: Responses;
  private readonly counters: Int32Array;
  private readonly clock: Clock;
  private readonly scratch: Uint8Array;
  /** For the retained table's topic comparisons while `scratch` holds a will's topic. */
  private readonly compare: Uint8Array;
  private readonly topic: Span = new Span();
  private readonly assigned: Span = new Span();
  private readonly assignedBytes: Uint8Array = new Uint8Array(13);
  private assignedIdCounter: i32 = 0;

  constructor(limits: Limits, security: Security, permissions: Permissions, connections: Connections, sessions: Sessions,
    pool: MessagePool, ingest: Ingest, router: Router, retained: RetainedTable, durable: Durable, topics: TopicTable,
    flows: Flows, deliveries: Deliveries, responses: Responses, counters: Int32Array, clock: Clock) {
    this.limits = limits;
    this.security = security;
    this.permissions = permissions;
    this.connections = connections;
    this.sessions = sessions;
    this.pool = pool;
    this.ingest = ingest;
    this.router = router;
    this.retained = retained;
    this.durable = durable;
    this.topics = topics;
    this.flows = flows;
    this.deliveries = deliveries;
    this.responses = responses;
    this.counters = counters;
    this.clock = clock;
    this.scratch = new Uint8Array(limits.packetSizeMax);
    this.compare = new Uint8Array(limits.packetSizeMax);
  }

  // ---- CONNECT ----------------------------------------------------------------------------------

  /** Judges the CONNECT that arrived on `slot`: CONNACK and a session, or a refusal and close. */
  accept(slot: i32, connect: ConnectRepr): void {
    const connections = this.connections;
    const limits = this.limits;
    const responses = this.responses;
    const version = connect.version;
    const v5 = version == MQTT_5;
    connections.version[slot] = version;
    let clientId = connect.clientId;
    let assigned = false;
    if (clientId.length == 0) {
      // MQTT 3.1 requires an id; 3.1.1 only for a persistent session (MQTT-3.1.3-7, -8).
      if (version == MQTT_3_1 || (!v5 && !connect.cleanStart)) return responses.refuseConnect(slot, 2, 0x85);
      clientId = this.clientIdAssign();
      assigned = true;
    }
    if (clientId.length > limits.clientIdSizeMax) return responses.refuseConnect(slot, 2, 0x85);
    connections.clientIdSet(slot, clientId);
    let keepAlive = connect.keepAlive;
    const keepAliveMax = limits.keepAliveMaxSeconds;
    let serverKeepAlive = false;
    if (keepAliveMax > 0 && (keepAlive == 0 || keepAlive > keepAliveMax)) {
      // 3.x has no way to tell the client; Mosquitto refuses such clients the same way.
      if (!v5) return responses.refuseConnect(slot, 2, 0x85);
      keepAlive = keepAliveMax;
      serverKeepAlive = true;
    }
    // No enhanced authentication is offered: a method we do not support is refused (MQTT-4.12.0-1).
    if (v5 && connect.properties.has(AUTHENTICATION_METHOD)) return responses.refuseConnect(slot, 5, 0x8c);
    if (connections.connected >= limits.connectionCountMax) return responses.refuseConnect(slot, 3, 0x97);
    // The user: the TLS certificate's identity when the host set one (use_identity_as_username), or the CONNECT's.
    if (!connections.hasUsername(slot) && connect.usernameFlag) {
      if (connect.username.length > limits.usernameSizeMax) return responses.refuseConnect(slot, 4, 0x86); // one we cannot keep
      connections.usernameSet(slot, connect.username);
    }
    const verdict = this.security.authenticate(slot, clientId, connect.usernameFlag, connect.username, connect.passwordFlag, connect.password);
    if (verdict != 0) return responses.refuseConnect(slot, verdict == 0x86 ? 4 : 5, verdict); // MQTT-3.2.2 return codes 4, 5
    const hasUsername = connections.hasUsername(slot);
    const username = connections.usernameOf(slot);
    if (connect.willFlag && !this.permissions.mayPublishAs(clientId, hasUsername, username, connections.internal[slot] != 0, connect.willTopic)) {
      this.counters[COUNTER_DENIED]++;
      return responses.refuseConnect(slot, 5, 0x87); // as Mosquitto: a will the client may not publish is refused at CONNECT
    }

    const sessions = this.sessions;
    let session = sessions.find(clientId);
    // Another user's session is not resumed: it ends, and this client starts clean.
    const clean = connect.cleanStart || (session >= 0 && !sessions.userIs(session, hasUsername, username));
    if (session < 0 || clean) {
      const perUser = limits.sessionsPerUserMax;
      let held = perUser > 0 ? sessions.countOfUser(hasUsername, username) : 0;
      if (session >= 0 && sessions.userIs(session, hasUsername, username)) held--; // replaced, not added
      if (perUser > 0 && held >= perUser) return responses.refuseConnect(slot, 3, 0x97);
    }
    if (session >= 0 && sessions.connection[session] >= 0) this.takeOver(sessions.connection[session], session);
    if (session >= 0 && sessions.willMessage[session] >= 0) {
      // A reconnect cancels a will still waiting out its delay (MQTT-3.1.3-9).
      this.pool.release(sessions.willMessage[session]);
      sessions.willMessage[session] = -1;
    }
    if (session >= 0 && clean) {
      this.end(session);
      session = -1;
    }
    const sessionPresent = session >= 0;
    if (session < 0) session = sessions.create(clientId);
    if (session < 0) return responses.refuseConnect(slot, 3, 0x97);
    sessions.usernameSet(session, hasUsername, username);
    sessions.connection[session] = slot;
    sessions.expirySeconds[session] = v5
      ? connect.properties.numberOf(SESSION_EXPIRY_INTERVAL, 0)
      : connect.cleanStart ? 0 : EXPIRY_NEVER;
    this.durable.sessionSave(session);

    connections.session[slot] = session;
    connections.cleanStart[slot] = connect.cleanStart ? 1 : 0;
    connections.keepAliveMs[slot] = keepAlive * 1000;
    connections.clientPacketSizeMax[slot] = v5 ? connect.properties.numberOf(MAXIMUM_PACKET_SIZE, 0) : 0;
    connections.clientReceiveMax[slot] = v5 ? connect.properties.numberOf(RECEIVE_MAXIMUM, 65535) : 65535;
    connections.clientAliasMax[slot] = v5 ? connect.properties.numberOf(TOPIC_ALIAS_MAXIMUM, 0) : 0;
    if (connect.willFlag) {
      const will = this.ingest.store(connect.willTopic, v5 ? connect.willProperties : null, connect.willPayload, connect.willQos, connect.willRetain);
      connections.willMessage[slot] = will; // -1 when the pool is full: the will is lost, and counted
      connections.willDelaySeconds[slot] = v5 ? connect.willProperties.numberOf(WILL_DELAY_INTERVAL, 0) : 0;
    }
    connections.state[slot] = CONNECTION_CONNECTED;
    connections.connected++;
    responses.event(EVENT_CONNECTED, slot, 0);

    const connack = responses.connack;
    connack.version = version;
    connack.sessionPresent = sessionPresent;
    connack.reasonCode = 0;
    const properties = connack.properties;
    properties.clear();
    if (v5) {
      if (limits.incomingCountMax < 65535) properties.addNumber(RECEIVE_MAXIMUM, limits.incomingCountMax);
      properties.addNumber(MAXIMUM_PACKET_SIZE, limits.packetSizeMax);
      if (!limits.retainAvailable) properties.addNumber(RETAIN_AVAILABLE, 0);
      properties.addNumber(SHARED_SUBSCRIPTION_AVAILABLE, 0);
      if (limits.topicAliasCountMax > 0) properties.addNumber(TOPIC_ALIAS_MAXIMUM, limits.topicAliasCountMax);
      if (assigned) properties.addSpan(ASSIGNED_CLIENT_IDENTIFIER, clientId.buffer, clientId.offset, clientId.length);
      if (serverKeepAlive) properties.addNumber(SERVER_KEEP_ALIVE, keepAlive);
    }
    const written = connackEncode(connack, connections.control, connections.controlEnd(slot));
    connections.controlCommit(slot, written);
    if (sessionPresent && sessions.inflightCount[session] > 0) this.deliveries.resendFrom[slot] = 0;
  }

  /**
   * Takeover (MQTT-3.1.4-3): the old connection gets DISCONNECT 0x8E (5.0) and is closed, and
   * its will is settled now, while the session is still the one it belongs to — published if it
   * has no delay, cancelled by this new connection if it has one (MQTT-3.1.3-9).
   */
  private takeOver(old: i32, session: i32): void {
    const connections = this.connections;
    const will = connections.willMessage[old];
    connections.willMessage[old] = -1;
    if (will >= 0 && connections.willDelaySeconds[old] == 0) this.willPublish(will, session);
    else if (will >= 0) this.pool.release(will);
    this.sessions.connection[session] = -1;
    connections.session[old] = -1;
    this.responses.sendDisconnect(old, 0x8e);
  }

  // ---- the connection ends --------------------------------------------------------------------

  /** Connection `slot` is gone: its session goes offline (or ends) and its will is settled. */
  connectionClosed(slot: i32): void {
    const connections = this.connections;
    const sessions = this.sessions;
    const session = connections.session[slot];
    const owner = session >= 0 && sessions.connection[session] == slot;
    const will = connections.willMessage[slot];
    connections.willMessage[slot] = -1;
    if (owner) sessions.offlineFromNow(session); // the will's delay and the session's expiry count from here
    if (will >= 0) {
      if (!owner || connections.normalDisconnect[slot] != 0) {
        this.pool.release(will); // DISCONNECT 0x00 deletes the will (MQTT-3.1.2-10)
      } else if (connections.willDelaySeconds[slot] != 0 && sessions.expirySeconds[session] != 0) {
        sessions.willMessage[session] = will; // waits out its delay, unless the session ends sooner (MQTT-3.1.3-9)
        sessions.willDelaySeconds[session] = connections.willDelaySeconds[slot];
      } else {
        this.willPublish(will, session);
      }
    }
    if (owner && sessions.expirySeconds[session] == 0) this.end(session);
  }

  // ---- timers -----------------------------------------------------------------------------------

  /** Publishes wills whose delay has passed and ends offline sessions whose expiry has. */
  expire(): void {
    const sessions = this.sessions;
    const clock = this.clock;
    for (let session = 0; session < sessions.count; session++) {
      if (sessions.clientIdLength[session] < 0 || sessions.connection[session] >= 0) continue;
      const since = sessions.offlineAtSeconds[session];
      const sinceMs = sessions.offlineAtMs[session];
      const will = sessions.willMessage[session];
      if (will >= 0 && clock.intervalPassed(since, sinceMs, sessions.willDelaySeconds[session])) {
        sessions.willMessage[session] = -1;
        this.willPublish(will, session);
      }
      // A session that would never expire may by persistent_client_expiration (Mosquitto's option).
      let expiry = sessions.expirySeconds[session];
      if (expiry == EXPIRY_NEVER && this.limits.persistentExpirySeconds > 0) expiry = this.limits.persistentExpirySeconds;
      if (clock.intervalPassed(since, sinceMs, expiry)) this.end(session);
    }
  }

  // ---- ends -------------------------------------------------------------------------------------

  /** Ends `session`: its queue, in-flight messages and subscriptions go (MQTT-3.1.2-4). */
  end(session: i32): void {
    const sessions = this.sessions;
    this.durable.sessionForget(session); // its records first, the session's own before its children's
    const will = sessions.willMessage[session];
    if (will >= 0) {
      sessions.willMessage[session] = -1;
      this.willPublish(will, session); // the session ends before the Will Delay: publish now (MQTT 5 §3.1.3.2.2)
    }
    let index = sessions.queueFront(session);
    while (index >= 0) {
      this.pool.release(sessions.queueMessage[index]);
      sessions.queuePop(session);
      index = sessions.queueFront(session);
    }
    const base = session * sessions.inflightCapacity;
    for (let i = base; i < base + sessions.inflightCapacity; i++) {
      if (sessions.inflightState[i] != INFLIGHT_FREE) this.flows.inflightDone(session, i);
    }
    this.topics.removeSession(session);
    sessions.free(session);
  }

  /**
   * Publishes will `will` of `session` — routed, and retained if it asks to be — when the
   * session's client may publish to its topic now; otherwise it is dropped and counted (denied).
   * Either way the reference the connection held is released.
   */
  private willPublish(will: i32, session: i32): void {
    const pool = this.pool;
    const topicLength = pool.topicLength[will];
    pool.read(will, 0, topicLength, this.scratch, 0);
    this.topic.set(this.scratch, 0, topicLength);
    if (this.permissions.mayPublish(session, this.topic, false)) {
      this.router.route(will, -1, this.topic);
      if (pool.retain[will] != 0) this.retained.update(pool, will, this.topic, this.compare);
    } else {
      this.counters[COUNTER_DENIED]++;
    }
    pool.release(will);
  }

  /** A client id for a client that sent none: "wren-" and 8 hex digits, unique while the counter runs. */
  private clientIdAssign(): Span {
    const scratch = this.assignedBytes;
    const prefix = "wren-";
    for (let i = 0; i < prefix.length; i++) scratch[i] = prefix.charCodeAt(i);
    let value = this.assignedIdCounter;
    this.assignedIdCounter = (value + 1) | 0;
    for (let i = 7; i >= 0; i--) {
      const digit = value & 15;
      scratch[prefix.length + i] = digit < 10 ? 0x30 + digit : 0x57 + digit;
      value = value >>> 4;
    }
    this.assigned.set(scratch, 0, prefix.length + 8);
    return this.assigned;
  }
}
