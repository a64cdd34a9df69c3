// The Dockerfile, linted (no Docker engine here to build it): dockerfile-utils' validator (the one
// behind VS Code's Docker support) with every rule an error, and the practices hadolint checks that
// matter for this image, each as an assertion: multi-stage, production dependencies only, a non-root
// numeric user, a healthcheck, exec-form commands, apt hygiene, nothing fetched with ADD.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationSeverity, validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(DIR, '../..');
const DOCKERFILE = readFileSync(path.join(DIR, 'Dockerfile'), 'utf8');
const IGNORE = readFileSync(path.join(DIR, 'Dockerfile.dockerignore'), 'utf8');

const STRICT = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [keyword, ...rest] = l.trim().split(/\s+/);
      return { keyword: keyword as string, args: rest.join(' ') };
    });
}

const all = instructions(DOCKERFILE);
const finalStage = all.slice(all.map((i) => i.keyword).lastIndexOf('FROM'));
const isJson = (args: string) => Array.isArray(JSON.parse(args));

describe('deploy/docker/Dockerfile', () => {
  it('passes dockerfile-utils with every rule an error', () => {
    expect(validate(DOCKERFILE, STRICT)).toEqual([]);
  });

  it('the linter does find faults (the check can fail)', () => {
    const broken = DOCKERFILE.replace('WORKDIR /build', 'workdir build').replace(
      '--start-period=30s',
      '--start-period=30',
    );
    const messages = validate(broken, STRICT).map((d) => d.message);
    expect(messages.length).toBeGreaterThanOrEqual(3);
  });

  it('builds in three stages: dist/ compiled, production dependencies with npm ci --omit=dev, then the runtime', () => {
    const froms = all.filter((i) => i.keyword === 'FROM');
    expect(froms.map((f) => f.args)).toEqual([
      '${NODE_IMAGE} AS build',
      '${NODE_IMAGE} AS deps',
      '${NODE_IMAGE}',
    ]);
    const image = /^ARG NODE_IMAGE=(.+)$/m.exec(DOCKERFILE)?.[1];
    // A versioned tag, never latest: the build is repeatable.
    expect(image).toMatch(/^node:20\.\d+-bookworm-slim$/);
    const runs = all.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => r.includes('npm ci --omit=dev'))).toBe(true);
    expect(runs.some((r) => /npm (install|i)\b/.test(r))).toBe(false);
    expect(finalStage).toContainEqual({
      keyword: 'COPY',
      args: '--from=deps /build/node_modules ./node_modules',
    });
    // The runtime runs the compiled JavaScript, built in the first stage.
    expect(runs.some((r) => r.includes('npm run build'))).toBe(true);
    expect(finalStage).toContainEqual({ keyword: 'COPY', args: '--from=build /build/dist ./dist' });
    // No compiler in the runtime stage.
    expect(finalStage.filter((i) => i.keyword === 'RUN').some((i) => /g\+\+|make|python3/.test(i.args))).toBe(
      false,
    );
  });

  it('runs as a numeric non-root user, with a healthcheck and exec-form commands', () => {
    const users = finalStage.filter((i) => i.keyword === 'USER');
    expect(users.at(-1)?.args).toBe('10001:10001');
    const healthcheck = finalStage.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
    expect(healthcheck).toMatch(/^--interval=\d+s --timeout=\d+s --start-period=\d+s --retries=\d+ CMD \[/);
    expect(isJson(healthcheck.slice(healthcheck.indexOf('CMD') + 4))).toBe(true);
    for (const keyword of ['ENTRYPOINT', 'CMD']) {
      const found = finalStage.filter((i) => i.keyword === keyword);
      expect(found, keyword).toHaveLength(1);
      expect(isJson(found[0]?.args as string), keyword).toBe(true);
    }
    expect(JSON.parse(finalStage.find((i) => i.keyword === 'ENTRYPOINT')?.args as string)).toEqual([
      'node',
      '--single-threaded-gc',
      '/opt/shugai/bin/shugai.mjs',
    ]);
  });

  it("gives the gateway the memory settings of its systemd unit (malloc arenas, V8's young generation)", () => {
    const env = Object.fromEntries(
      finalStage
        .filter((i) => i.keyword === 'ENV')
        .flatMap((i) =>
          i.args
            .split(/\s+/)
            .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
        ),
    );
    const unit = readFileSync(path.join(REPO, 'deploy/systemd/shugai-gateway.service'), 'utf8');
    for (const name of ['MALLOC_ARENA_MAX', 'NODE_OPTIONS']) {
      const setting = new RegExp(`^Environment=${name}=(.*)$`, 'm').exec(unit)?.[1];
      expect(setting, name).toBeDefined();
      expect(env[name], name).toBe(setting);
    }
  });

  it('keeps apt lean and fetches nothing with ADD', () => {
    expect(all.some((i) => i.keyword === 'ADD')).toBe(false);
    for (const run of all.filter((i) => i.keyword === 'RUN' && i.args.includes('apt-get install'))) {
      expect(run.args).toContain('--no-install-recommends');
      expect(run.args).toContain('rm -rf /var/lib/apt/lists/*');
    }
  });

  it('copies what exists, and the ignore file lets in what the program needs, not tests', () => {
    for (const copy of all.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) expect(existsSync(path.join(REPO, source)), source).toBe(true);
    }
    const allowed = IGNORE.split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1));
    for (const entry of allowed) expect(existsSync(path.join(REPO, entry)), entry).toBe(true);
    // Everything bin/shugai.mjs imports at run time lives in an allowed folder.
    const imports = [
      ...readFileSync(path.join(REPO, 'cli/commands.ts'), 'utf8').matchAll(/import\('\.\.\/([^/']+)\//g),
    ].map((m) => m[1] as string);
    for (const folder of new Set(imports)) expect(allowed, folder).toContain(folder);
    // The build stage compiles with these.
    expect(allowed).toEqual(expect.arrayContaining(['tsconfig.json', 'tsconfig.build.json']));
    expect(IGNORE.split('\n')).toEqual(expect.arrayContaining(['**', '**/*.test.ts', '**/node_modules']));
  });
});
