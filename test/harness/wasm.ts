/** WASM face of the harness: the portable calls plus where the two windows live in memory. */
import { input, output } from "./harness";
export { harnessInit, harnessDecode, harnessDump, harnessEncode, harnessRoundTrip, harnessEncodeLoop } from "./harness";
export {
  storeScenarioRecover, storeScenarioProbe, storeScenarioCut, storeScenarioWear, storeScenarioFlip,
  storeProblemMessage, storeRecoverStatus, storeWrittenCount, storeRecoveredCount, storeCorruptRecords, storeFlashSize, storeFlashCrc, storeEraseCountMin,
} from "./store_scenarios";
export {
  flashScenarioProgram, flashScenarioAlignment, flashScenarioTornWrite, flashScenarioTornErase, crcScenarioCheckValue, flashChecksCount,
} from "./flash_scenarios";
export {
  brokerDriverLimit, brokerDriverInit, brokerDriverRule, brokerDriverRulesClear, brokerDriverOpen, brokerDriverInput, brokerDriverOutput, brokerDriverClosed,
  brokerDriverPoll, brokerDriverNextEvent, brokerDriverEventSlot, brokerDriverEventReason, brokerDriverInputBlocked, brokerDriverCongested, brokerDriverCounter, brokerDriverSessions,
} from "./broker_driver";

export function inputPointer(): usize {
  return input.dataStart;
}

export function outputPointer(): usize {
  return output.dataStart;
}
