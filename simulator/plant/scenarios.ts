/** The scenarios `shugai simulate --scenario` knows, by name. */

import type { PlantDefinition } from './types.ts';
import { validatePlant } from './validate.ts';
import { YONGKANG_CUPS, YONGKANG_CUPS_BEFORE } from './yongkang-cups.ts';

export const DEFAULT_SCENARIO = 'yongkang-cups';

export const SCENARIOS: Readonly<Record<string, PlantDefinition>> = {
  [YONGKANG_CUPS.scenario]: validatePlant(YONGKANG_CUPS),
  [YONGKANG_CUPS_BEFORE.scenario]: validatePlant(YONGKANG_CUPS_BEFORE),
};

export function getScenario(name: string): PlantDefinition {
  const plant = SCENARIOS[name];
  if (!plant) throw new Error(`unknown scenario '${name}' (known: ${Object.keys(SCENARIOS).join(', ')})`);
  return plant;
}

/**
 * The plant worked around the clock: every machine on the `continuous` pattern, so nothing is a
 * planned stop at any hour (for tests whose machines must be in a shift whenever they run). Stops,
 * faults and warm-up stay as the seed makes them.
 */
export function aroundTheClock(plant: PlantDefinition): PlantDefinition {
  return validatePlant({
    ...plant,
    scenario: `${plant.scenario}-around-the-clock`,
    machines: plant.machines.map((m) => ({ ...m, shifts: 'continuous' })),
  });
}
