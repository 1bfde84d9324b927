/**
 * Listeners in mosquitto.conf: the per-listener options, a listener as config.mjs builds it
 * while reading, the checks on a whole listener (TLS options that only make sense together)
 * and between listeners (two on one port), and the shape config.mjs returns.
 */

/** Per-listener options (the LISTENERS section of the man page). */
export const PER_LISTENER = {
  /** "Set to -1 to have "unlimited" connections." Unset: -1 (Mosquitto's listener default). */
  max_connections: { key: 'maxConnections', kind: 'number', min: -1, max: 2 ** 31 - 1 },
  /** "Can be mqtt, the default, or websockets" */
  protocol: { key: 'protocol', kind: 'word', values: ['mqtt', 'websockets'] },
  certfile: { key: 'certfile', kind: 'path' },
  keyfile: { key: 'keyfile', kind: 'path' },
  cafile: { key: 'cafile', kind: 'path' },
  /** Unset: false ("By default an SSL/TLS enabled listener will operate ... like https") */
  require_certificate: { key: 'requireCertificate', kind: 'boolean' },
  /** Unset: false (the MQTT username is used) */
  use_identity_as_username: { key: 'useIdentityAsUsername', kind: 'boolean' },
};

export function listenerNew(port, host, line) {
  return {
    port, host, line, protocol: 'mqtt', maxConnections: -1, certfile: null, keyfile: null,
    cafile: null, requireCertificate: false, useIdentityAsUsername: false, lines: {},
  };
}

/** "listener 1883 127.0.0.1", "listener 1883 (every interface)" or "port 1883 (...)", for messages. */
export function listenerName(listener) {
  return `${listener.isDefault ? 'port' : 'listener'} ${listener.port} ${listener.host ?? '(every interface)'}`;
}

/** TLS options that only make sense together (mosquitto.conf(5), "Certificate based SSL/TLS Support"). */
export function listenerCheck(listener, fail) {
  const { lines } = listener;
  const name = listenerName(listener);
  // "This option and keyfile must be present to enable certificate based TLS encryption."
  // With only one of them Mosquitto silently serves plain MQTT on the port (seen with 2.0.11).
  if (listener.certfile && !listener.keyfile) {
    fail(lines.certfile, `certfile without keyfile on ${name}: TLS needs both`);
  }
  if (listener.keyfile && !listener.certfile) {
    fail(lines.keyfile, `keyfile without certfile on ${name}: TLS needs both`);
  }
  const tls = listener.certfile && listener.keyfile;
  if (!tls) {
    if (listener.cafile) fail(lines.cafile, `cafile on ${name}, which has no certfile and keyfile, so no TLS`);
    if (listener.requireCertificate) fail(lines.require_certificate, `require_certificate on ${name}, which has no certfile and keyfile, so no TLS`);
    if (listener.useIdentityAsUsername) fail(lines.use_identity_as_username, `use_identity_as_username on ${name}, which has no certfile and keyfile, so no TLS`);
    return;
  }
  // Mosquitto starts such a listener, but with no CA to verify against it refuses every client.
  if (listener.requireCertificate && !listener.cafile) {
    fail(lines.require_certificate, `require_certificate true on ${name} needs cafile: without it no client certificate can be verified`);
  }
  // "If require_certificate is true, you may set use_identity_as_username to true"
  if (listener.useIdentityAsUsername && !listener.requireCertificate) {
    fail(lines.use_identity_as_username, `use_identity_as_username true on ${name} needs require_certificate true`);
  }
  // protocol: "with websockets ... only the cafile, certfile, keyfile, ciphers, and ciphers_tls1.3 options are supported"
  if (listener.protocol === 'websockets') {
    for (const option of ['require_certificate', 'use_identity_as_username']) {
      if (lines[option] !== undefined && listener[PER_LISTENER[option].key]) {
        fail(lines[option], `${option} is not available on websockets ${name}`);
      }
    }
  }
}

/** Two listeners on one port clash when their addresses are equal or either is every interface. */
export function listenersOverlapCheck(listeners, fail, placeName) {
  for (let later = 1; later < listeners.length; later++) {
    for (let earlier = 0; earlier < later; earlier++) {
      const a = listeners[earlier];
      const b = listeners[later];
      if (a.port !== b.port || (a.host !== null && b.host !== null && a.host !== b.host)) continue;
      const [first, second] = a.line <= b.line ? [a, b] : [b, a];
      fail(second.line, `${listenerName(second)} clashes with ${listenerName(first)} on ${placeName(first.line, second.line)}`);
      break;
    }
  }
}

/** The public shape of one listener. */
export function listenerResult(listener) {
  const tls = listener.certfile && listener.keyfile ? {
    certfile: listener.certfile,
    keyfile: listener.keyfile,
    cafile: listener.cafile,
    requireCertificate: listener.requireCertificate,
    useIdentityAsUsername: listener.useIdentityAsUsername,
  } : null;
  return {
    port: listener.port, host: listener.host, protocol: listener.protocol,
    maxConnections: listener.maxConnections, tls,
  };
}
