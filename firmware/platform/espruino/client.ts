/**
 * The client-only Espruino bundle: one global, `wrenmqClient`, with `create()` returning a
 * ClientApi (../client_api.ts) sized by the board's limits. Small enough for an ESP8266, which
 * cannot load the codec-and-broker bundle.
 *
 * Without flash: `api = wrenmqClient.create()`, `api.limitSet(...)`, `api.init(null)`.
 * With the QoS store in flash (issue 5), instead of `init`:
 *   wrenmqClient.initWithFlash(api, require("Flash"), board.flash)   // then api.restore(now)
 * where `board.flash` is the board profile's { base, sectorSize, sectorCount, writeSize }.
 */
import { ClientApi } from "../client_api";
import { clientLimitsCheck } from "../../limits";
import { LogStore } from "../../store/log";
import { EspruinoFlash, espruinoFlashPageSize } from "./flash_espruino";

declare const global: any;

function create(): ClientApi {
  return new ClientApi();
}

/**
 * `api.init` with the outbox and QoS 2 receipts in a LogStore on Espruino's flash, as the WASM
 * client's initWithFlash does on a host. `flash` is the board profile's geometry: `sectorSize`
 * bytes (the chip's erase page) times `sectorCount` at `base`. Pages are grouped into store
 * sectors large enough for the largest packet; the area must be one Espruino reports free
 * (Flash.getFree) in pages that divide those sectors. Recovers what the flash holds; call
 * `api.restore(now)` next. Returns 0, clientLimitsCheck's complaint, -100 when the flash cannot
 * be read, or -101 when the area is unusable (no base, a write size not a multiple of 4, outside
 * the free flash, fewer than three sectors, or pages larger than a sector).
 */
function initWithFlash(api: ClientApi, module: any, flash: any): i32 {
  const limits = api.limits;
  const check = clientLimitsCheck(limits);
  if (check != 0) return check;
  // Espruino writes whole 4-byte units (8 on STM32L4); a smaller writeSize would rewrite units.
  if (flash == null || typeof flash.base != "number" || !(flash.writeSize >= 4) || flash.writeSize % 4 != 0) return -101;
  const capacity = flash.sectorSize * flash.sectorCount;
  let sectorSize: i32 = flash.sectorSize;
  while (sectorSize < limits.packetSizeMax + 64) sectorSize *= 2; // a record never spans sectors
  const sectorCount = (capacity / sectorSize) | 0;
  if (sectorCount < 3) return -101;
  const pageSize = espruinoFlashPageSize(module, flash.base, sectorSize * sectorCount, sectorSize);
  if (pageSize < 0) return -101;
  const device = new EspruinoFlash(module, flash.base, pageSize, sectorSize, sectorCount, flash.writeSize);
  const store = new LogStore(device, limits.outgoingCountMax + limits.incomingCountMax, limits.packetSizeMax);
  if (store.recover() != 0) return -100;
  return api.init(store);
}

global.wrenmqClient = { create: create, initWithFlash: initWithFlash };
