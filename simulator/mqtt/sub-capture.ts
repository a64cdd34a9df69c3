/**
 * Test helper (not shipped behaviour): mosquitto_sub capturing "<topic> <payload as hex>" per
 * message, used by the MQTT and CLI tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { requireBinary } from '../../test/services/binaries.ts';
import { mosquittoBinary } from '../../test/services/mosquitto.ts';

export const subBinary = requireBinary('mosquitto_sub', 'mosquitto-clients');
export const pubBinary = requireBinary('mosquitto_pub', 'mosquitto-clients');
// mosquitto_sub block-buffers its output into a pipe: stdbuf makes it line-buffered.
const stdbuf = requireBinary('stdbuf', 'coreutils');
export const mqttToolsAvailable =
  mosquittoBinary.available && subBinary.available && pubBinary.available && stdbuf.available;
export const NODE = 'spBv1.0/yongkang-cups';

export interface Message {
  topic: string;
  payload: Buffer;
}

/** mosquitto_sub printing "<topic> <payload as hex>" per message. */
export class Capture {
  readonly messages: Message[] = [];
  private readonly child: ChildProcess;
  private subscribed = false;
  constructor(port: number) {
    this.child = spawn(stdbuf.path!, [
      '-oL',
      subBinary.path!,
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      'spBv1.0/#',
      '-t',
      'factory/#',
      '-F',
      '%t %x',
      '-d',
    ]);
    let rest = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (line.includes('SUBACK')) this.subscribed = true;
        const match = /^(\S+) ([0-9a-f]*)$/.exec(line);
        if (match && !line.startsWith('Client'))
          this.messages.push({ topic: match[1]!, payload: Buffer.from(match[2]!, 'hex') });
      }
    });
  }
  ready(): Promise<void> {
    return this.until(() => this.subscribed);
  }
  on(topic: string): Message[] {
    return this.messages.filter((m) => m.topic === topic);
  }
  async until(check: () => boolean, timeoutMs = 8000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out; saw topics ${[...new Set(this.messages.map((m) => m.topic))].join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  stop(): void {
    this.child.kill();
  }
}
