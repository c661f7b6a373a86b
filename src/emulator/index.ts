export type {
  EmulatorApi,
  EmulatorContext,
  EmulatorStats,
  FaultMatch,
  LogEntry,
  Session,
  SessionStore,
  SignInFailureReason,
  SignInInput,
  SignInResult,
} from './context.js';
export { redact } from './redact.js';
export {
  buildEmulatorApp,
  type RunningEmulator,
  type StartEmulatorOptions,
  startEmulator,
} from './server.js';
export {
  DEMO_WORLD_PATH,
  defineWorld,
  loadDemoWorld,
  loadWorldFile,
  parseWorld,
  validateWorld,
  WorldError,
} from './world/load.js';
export type {
  Behaviours,
  Client,
  Company,
  Fault,
  Role,
  Sender,
  User,
  World,
  WorldInput,
} from './world/schema.js';
export { RIGHTS, worldSchema } from './world/schema.js';
