/** JS face of the harness: one plain global object, as the Espruino build has. */
import {
  harnessDecode, harnessDump, harnessEncode, harnessEncodeLoop, harnessInit, harnessRoundTrip, input, output,
} from "./harness";
import {
  storeScenarioRecover, storeScenarioProbe, storeScenarioCut, storeScenarioWear, storeScenarioFlip,
  storeProblemMessage, storeRecoverStatus, storeWrittenCount, storeRecoveredCount, storeCorruptRecords, storeFlashSize, storeFlashCrc, storeEraseCountMin,
} from "./store_scenarios";
import {
  flashScenarioProgram, flashScenarioAlignment, flashScenarioTornWrite, flashScenarioTornErase, crcScenarioCheckValue, flashChecksCount,
} from "./flash_scenarios";
import {
  brokerDriverLimit, brokerDriverInit, brokerDriverRule, brokerDriverRulesClear, brokerDriverOpen, brokerDriverInput, brokerDriverOutput, brokerDriverClosed,
  brokerDriverPoll, brokerDriverNextEvent, brokerDriverEventSlot, brokerDriverEventReason, brokerDriverInputBlocked, brokerDriverCongested, brokerDriverCounter, brokerDriverSessions,
} from "./broker_driver";

declare const global: any;

global.wrenmqHarness = {
  harnessInit: harnessInit,
  harnessDecode: harnessDecode,
  harnessDump: harnessDump,
  harnessEncode: harnessEncode,
  harnessRoundTrip: harnessRoundTrip,
  harnessEncodeLoop: harnessEncodeLoop,
  input: input,
  output: output,
  storeScenarioRecover: storeScenarioRecover,
  storeScenarioProbe: storeScenarioProbe,
  storeScenarioCut: storeScenarioCut,
  storeScenarioWear: storeScenarioWear,
  storeScenarioFlip: storeScenarioFlip,
  storeProblemMessage: storeProblemMessage,
  storeRecoverStatus: storeRecoverStatus,
  storeWrittenCount: storeWrittenCount,
  storeRecoveredCount: storeRecoveredCount,
  storeCorruptRecords: storeCorruptRecords,
  storeFlashSize: storeFlashSize,
  storeFlashCrc: storeFlashCrc,
  storeEraseCountMin: storeEraseCountMin,
  flashScenarioProgram: flashScenarioProgram,
  flashScenarioAlignment: flashScenarioAlignment,
  flashScenarioTornWrite: flashScenarioTornWrite,
  flashScenarioTornErase: flashScenarioTornErase,
  crcScenarioCheckValue: crcScenarioCheckValue,
  flashChecksCount: flashChecksCount,
  brokerDriverLimit: brokerDriverLimit,
  brokerDriverInit: brokerDriverInit,
  brokerDriverRule: brokerDriverRule,
  brokerDriverRulesClear: brokerDriverRulesClear,
  brokerDriverOpen: brokerDriverOpen,
  brokerDriverInput: brokerDriverInput,
  brokerDriverOutput: brokerDriverOutput,
  brokerDriverClosed: brokerDriverClosed,
  brokerDriverPoll: brokerDriverPoll,
  brokerDriverNextEvent: brokerDriverNextEvent,
  brokerDriverEventSlot: brokerDriverEventSlot,
  brokerDriverEventReason: brokerDriverEventReason,
  brokerDriverInputBlocked: brokerDriverInputBlocked,
  brokerDriverCongested: brokerDriverCongested,
  brokerDriverCounter: brokerDriverCounter,
  brokerDriverSessions: brokerDriverSessions,
};
