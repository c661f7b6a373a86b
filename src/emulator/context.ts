import type { World } from './world/schema.js';

/** The emulator's shared state and helpers, handed to every route plugin. Completed by the emulator core. */
export interface EmulatorContext {
  world: World;
}
