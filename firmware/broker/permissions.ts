/**
 * Who may do what, asked in one place for every way a message enters or leaves the broker: a
 * PUBLISH, a will (when the CONNECT carries it, and again when it is published), a message the
 * bridge brings in (a client like any other), a delivery, a retained message on subscribe, and
 * a SUBSCRIBE. Each question names the session, so the ACL always judges a client by its client
 * id and the user name its session was opened with — connected, offline, or restored after a
 * restart.
 *
 * Before the ACL (the platform's `Security`), two rules that hold with or without one, as in
 * Mosquitto 2.0 (security.c, acl__check_dollar):
 * - `$SYS` belongs to the broker: no client writes under it, except the bridge state topic
 *   `$SYS/broker/connection/+/state` that bridges publish; the host's own in-process
 *   connections (the bridge's local side, `internal`) may write `$SYS` for their status;
 * - `$share/…` names shared subscriptions, never a topic: nobody publishes to it.
 */
import { Span } from "../core/bytes";
import { topicMatches } from "../codec/topic";
import { ACCESS_READ, ACCESS_SUBSCRIBE, ACCESS_WRITE, Security } from "../hal/security";
import { Sessions } from "./sessions";

/** The one `$SYS` topic clients may write (Mosquitto's bridge notifications). */
const BRIDGE_STATE_FILTER: string = "$SYS/broker/connection/+/state";

export class Permissions {
  private readonly security: Security;
  private readonly sessions: Sessions;
  private readonly bridgeState: Span = new Span();

  constructor(security: Security, sessions: Sessions) {
    this.security = security;
    this.sessions = sessions;
    const bytes = new Uint8Array(BRIDGE_STATE_FILTER.length);
    for (let i = 0; i < BRIDGE_STATE_FILTER.length; i++) bytes[i] = BRIDGE_STATE_FILTER.charCodeAt(i);
    this.bridgeState.set(bytes, 0, bytes.length);
  }

  /** May `session`'s client publish to `topic` (a PUBLISH or its will)? `internal`: a host connection. */
  mayPublish(session: i32, topic: Span, internal: bool): bool {
    const sessions = this.sessions;
    return this.mayPublishAs(sessions.clientIdOf(session), sessions.hasUsername(session), sessions.usernameOf(session), internal, topic);
  }

  /** `mayPublish` for a client that has no session yet (a will, judged at CONNECT). */
  mayPublishAs(clientId: Span, hasUsername: bool, username: Span, internal: bool, topic: Span): bool {
    if (topicStartsWith(topic, "$SYS")) {
      if (internal) return true;
      if (!topicMatches(this.bridgeState, topic)) return false;
    } else if (topicStartsWith(topic, "$share")) {
      return false;
    }
    return this.security.authorize(clientId, hasUsername, username, ACCESS_WRITE, topic);
  }

  /** May `session` receive a message published to `topic`? */
  mayRead(session: i32, topic: Span): bool {
    return this.ask(session, ACCESS_READ, topic);
  }

  /** May `session` subscribe to `filter`? */
  maySubscribe(session: i32, filter: Span): bool {
    return this.ask(session, ACCESS_SUBSCRIBE, filter);
  }

  private ask(session: i32, access: i32, topic: Span): bool {
    const sessions = this.sessions;
    return this.security.authorize(sessions.clientIdOf(session), sessions.hasUsername(session), sessions.usernameOf(session), access, topic);
  }
}

function topicStartsWith(topic: Span, prefix: string): bool {
  if (topic.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (topic.at(i) != prefix.charCodeAt(i)) return false;
  return true;
}
