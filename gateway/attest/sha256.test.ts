// The gateway's JavaScript SHA-256 must give node:crypto's digest for every input, or the multiset
// digests it signs would not match what a verifier computes from the store.
import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MultisetHash } from './canonical.ts';
import { sha256Words } from './sha256.ts';

const hex = (words: Int32Array) => [...words].map((w) => (w >>> 0).toString(16).padStart(8, '0')).join('');

describe('sha256Words', () => {
  it('gives the standard digests of the FIPS 180-4 examples', () => {
    expect(hex(sha256Words(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256Words('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256Words('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it("equals node:crypto's digest for every length up to four blocks, across each padding boundary", () => {
    let text = '';
    for (let n = 0; n <= 260; n++) {
      expect(hex(sha256Words(text)), `length ${n}`).toBe(hash('sha256', text, 'hex'));
      text += String.fromCharCode(0x20 + ((n * 7) % 95));
    }
  });

  it('hashes the UTF-8 bytes of non-ASCII text, lone surrogates as U+FFFD like Buffer.from', () => {
    const texts = [
      '设备',
      '["模具温度","t","number",1796300000123,23.47,"good",0]',
      'é'.repeat(40),
      '😀 𠀀 \u0000 \u2028',
      '\ud800 lone surrogate',
      'tail lone \udc00',
      `${'x'.repeat(54)}é`,
      `${'x'.repeat(500)}模`,
    ];
    for (const text of texts) expect(hex(sha256Words(text)), text).toBe(hash('sha256', text, 'hex'));
  });

  it("equals node:crypto's digest on long and mixed texts (a string tag's value may be kilobytes)", () => {
    // A fixed-seed generator: the same texts every run, any failure reproducible.
    let seed = 0x5eed;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = ['a', '"', '\\', 'é', '模', '😀', '\ud800', '\u0000', '9'];
    for (let round = 0; round < 300; round++) {
      const length = next(5000);
      let text = '';
      for (let i = 0; i < length; i++) text += next(4) === 0 ? alphabet[next(alphabet.length)] : 'x';
      expect(hex(sha256Words(text)), `round ${round}, length ${length}`).toBe(hash('sha256', text, 'hex'));
    }
    // Short again after a long text: the grown buffer holds no stale bytes.
    expect(hex(sha256Words('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('adds into a multiset hash as the digest bytes would', () => {
    const texts = Array.from({ length: 40 }, (_, i) => `["d","t${i}","number",${i},${i * 1.5},"good",0]`);
    const byWords = new MultisetHash();
    const byBytes = new MultisetHash();
    for (const text of texts) {
      byWords.addWords(sha256Words(text));
      byBytes.add(hash('sha256', text, 'buffer'));
    }
    expect(byWords.hex()).toBe(byBytes.hex());
    expect(byWords.equals(new MultisetHash())).toBe(false);
  });
});
