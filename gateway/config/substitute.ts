import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Secrets stay out of config files: `${NAME}` is replaced by the environment variable NAME and
 * `${file:/run/secrets/x}` by the file's content (trailing newline removed, as Docker/systemd
 * secrets are written); `$${` writes a literal `${`. Substitution happens in scalar values after
 * YAML parsing, so a secret can never change the file's structure.
 */
const PATTERN = /\$\$\{|\$\{([^}]*)\}/g;

export function substitute(value: string, env: NodeJS.ProcessEnv, baseDir: string): string {
  return value.replace(PATTERN, (match, ref: string | undefined) => {
    if (match === '$${') return '${';
    const name = (ref ?? '').trim();
    if (name.startsWith('file:')) {
      const file = path.resolve(baseDir, name.slice('file:'.length));
      try {
        return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        throw new Error(
          `cannot read secret file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new Error(`invalid substitution \${${name}}: use \${NAME} or \${file:/path}`);
    const found = env[name];
    if (found === undefined) throw new Error(`environment variable ${name} is not set`);
    return found;
  });
}
