/**
 * The client-only Espruino bundle: one global, `wrenmqClient`, with `create()` returning a
 * ClientApi (../client_api.ts) sized by the board's limits. Small enough for an ESP8266, which
 * cannot load the codec-and-broker bundle.
 */
import { ClientApi } from "../client_api";

declare const global: any;

function create(): ClientApi {
  return new ClientApi();
}

global.wrenmqClient = { create: create };
