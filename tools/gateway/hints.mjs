/**
 * The start-up hints: what an operator can type to try each listener, so that the first thing
 * they run is something the configuration accepts (main.mjs logs them once listening).
 */
import { LOCAL_ONLY_HOST } from './config.mjs';

/**
 * What an operator can type to try `listener`, bound at `address` ({ address, port }), as
 * [log type, line] pairs. Nothing the configuration would refuse: a user name when anonymous
 * clients are refused (with a password only when there is a password_file, since without one
 * any name is let in), the CA file and a name in the certificate for TLS, a client certificate
 * where one is required, and a topic from the acl_file rather than '#'.
 */
export function clientHints(listener, address, config, { certificateNames = [] } = {}) {
  const everywhere = address.address === '0.0.0.0' || address.address === '::';
  const bound = everywhere ? LOCAL_ONLY_HOST : address.address;
  const tls = listener.tls;
  // With TLS, the client must name the server as its certificate does: the bound address if the
  // certificate lists it, else a local name it lists (when this machine can reach the listener
  // that way), else its first name.
  const local = ['localhost', '127.0.0.1', '::1'];
  const host = !tls || certificateNames.length === 0 ? bound
    : certificateNames.find((name) => name === bound)
      ?? certificateNames.find((name) => (everywhere || local.includes(bound)) && local.includes(name))
      ?? certificateNames[0];
  const identity = Boolean(tls?.useIdentityAsUsername);
  const login = identity || config.allowAnonymous ? '' : config.passwordFile !== null ? ' -u <user> -P <password>' : ' -u <any name>';
  if (listener.protocol === 'websockets') {
    const url = `${tls ? 'wss' : 'ws'}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    const needs = [login && 'a user name' + (config.passwordFile !== null ? ' and password' : ''), tls?.cafile && `trusting ${tls.cafile}`,
      tls?.requireCertificate && 'a client certificate'].filter(Boolean);
    return [['information', `Try: an MQTT client over WebSocket (subprotocol mqtt) at ${url}${needs.length ? `, with ${needs.join(', ')}` : ''}; mosquitto_sub has no WebSocket`]];
  }
  let common = `-h ${host} -p ${address.port}`;
  if (tls) common += ` --cafile ${tls.cafile ?? 'ca.crt'}`;
  if (tls?.requireCertificate) common += ' --cert client.crt --key client.key';
  common += login;
  const [filter, topic] = config.aclFile !== null ? ["'<a topic acl_file lets you read>'", "'<a topic acl_file lets you write>'"] : ["'#'", 'hello'];
  return [
    ['information', `Try: mosquitto_sub ${common} -t ${filter} -v`],
    ['information', `Try: mosquitto_pub ${common} -t ${topic} -m world`],
  ];
}
