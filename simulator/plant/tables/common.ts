/** Shared by the tag tables: counter modes and the state description. */
import type { CounterMode } from '../types.ts';

export const U16: CounterMode = { bits: 16, resetAtShiftStart: false };
export const U16_SHIFT: CounterMode = { bits: 16, resetAtShiftStart: true };
export const U32: CounterMode = { bits: 32, resetAtShiftStart: false };

export const STATE_TEXT =
  'Machine state: 0 off, 1 idle (break), 2 warm-up, 3 running, 4 setup (tool change), 5 starved (material shortage), 6 fault, 7 maintenance';
