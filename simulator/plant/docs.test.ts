import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modbusMarkdown, mqttMarkdown, opcuaMarkdown, registerMarkdown } from './docs.ts';
import { getScenario } from './scenarios.ts';

const readme = readFileSync(path.join(import.meta.dirname, '..', 'README.md'), 'utf8');

describe('simulator/README.md', () => {
  it.each([
    ['Modbus register map', modbusMarkdown],
    ['OPC UA address space', opcuaMarkdown],
    ['MQTT and Sparkplug B', mqttMarkdown],
    ['equipment register', registerMarkdown],
  ])('documents the %s exactly as the plant data defines it', (_name, generate) => {
    // The README's section "Keeping the tables true" shows how to regenerate them.
    expect(readme).toContain(generate(getScenario('yongkang-cups')));
  });
});
