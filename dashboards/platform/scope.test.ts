// Every account against every enterprise on every route of the enterprise file, on SQLite and on a
// real PostgreSQL: what is out of an account's scope (another enterprise, another region, an
// enterprise not renovated by or assigned to it) answers 404 as if it did not exist; what is in
// scope but not the role's to change answers 403; what is both succeeds. Scope is checked first,
// so a refusal never tells an account that an enterprise outside its scope exists.
import { describe, expect, it } from 'vitest';
import { fortyPoints } from '../../assessment/fixtures.ts';
import { testGateway } from '../central/testing.ts';
import { ENTERPRISES, eachDatabase, seedWorld } from './testing.ts';

type Key = keyof typeof ENTERPRISES;
/** What each seeded account sees (testing.ts seedWorld). */
const SCOPE: Record<string, Key[]> = {
  admin: ['yongkang', 'hebi', 'guangzhou'],
  'officer-yk': ['yongkang'],
  'officer-hb': ['hebi'],
  'officer-gz': ['guangzhou'],
  'ent-yk': ['yongkang'],
  'ent-hb': ['hebi'],
  'provider-1': ['yongkang'],
  'provider-2': [],
  'assessor-1': ['yongkang'],
  'assessor-2': [],
};
const ROLE_OF = (name: string) =>
  name === 'admin' ? 'admin' : name.startsWith('ent-') ? 'enterprise' : name.replace(/-.*$/, '');

const READS = ['', '/file', '/register', '/gateways', '/assessors', '/assessments'];

const gw = testGateway('gw-scope');
/** Each change, the roles it is granted to, and a valid body for it from an account on an enterprise. */
const WRITES: {
  method: 'PUT' | 'POST';
  path: string;
  roles: string[];
  body(name: string, key: Key): unknown;
}[] = [
  { method: 'PUT', path: '', roles: ['officer', 'admin'], body: (_, key) => ENTERPRISES[key] },
  {
    method: 'PUT',
    path: '/register',
    roles: ['enterprise', 'provider', 'officer'],
    body: () => ({ entries: [] }),
  },
  {
    method: 'POST',
    path: '/gateways',
    roles: ['provider', 'officer', 'admin'],
    body: (_, key) => ({ id: `gw-${key}`, publicKey: gw.publicKeyPem }),
  },
  {
    method: 'PUT',
    path: '/renovation',
    roles: ['provider', 'officer', 'admin'],
    // Officers and admins keep the seeded provider (provider-1 renovates 永康 only), so scopes stay as they are.
    body: (name, key) => ({
      contract: { number: 'C-1', signedOn: '2025-03-01' },
      provider: name.startsWith('provider') ? name : key === 'yongkang' ? 'provider-1' : null,
      items: [],
    }),
  },
  {
    method: 'POST',
    path: '/assessors',
    roles: ['officer', 'admin'],
    body: () => ({ assessor: 'assessor-1' }),
  },
  {
    method: 'POST',
    path: '/assessments',
    roles: ['enterprise'],
    body: (_, key) => ({
      stage: 'self',
      answers: { ...fortyPoints(), enterprise: { name: ENTERPRISES[key].name } },
    }),
  },
];

eachDatabase((database) => {
  describe('scope', () => {
    it("lists and reads only the enterprises in each account's scope; others are not found", async () => {
      const w = await seedWorld(await database.open());
      for (const [name, visible] of Object.entries(SCOPE)) {
        const list = await w.call(name, 'GET', '/api/v1/enterprises');
        expect(
          list
            .json()
            .map((e: { id: string }) => e.id)
            .sort(),
          name,
        ).toEqual(visible.map((k) => w.enterprise[k]).sort());
        for (const key of Object.keys(ENTERPRISES) as Key[])
          for (const path of READS) {
            const response = await w.call(name, 'GET', `/api/v1/enterprises/${w.enterprise[key]}${path}`);
            const expected = visible.includes(key) ? 200 : 404;
            expect(response.statusCode, `${name} GET ${key}${path}`).toBe(expected);
            if (expected === 404)
              expect(response.json()).toEqual({
                error: `enterprise ${w.enterprise[key]} not found`,
                code: 'NOT_FOUND',
              });
          }
      }
    });

    it('refuses every change outside the scope (404) or outside the role (403), and allows the rest', async () => {
      for (const write of WRITES) {
        // A fresh platform per route: an allowed change must not hide the next account's refusal.
        const w = await seedWorld(await database.open());
        for (const name of Object.keys(SCOPE))
          for (const key of ['yongkang', 'hebi'] as const) {
            // An allowed change may widen a scope (an assignment, a renovation's provider): ask first.
            const url = `/api/v1/enterprises/${w.enterprise[key]}`;
            const visible = (await w.call(name, 'GET', url)).statusCode === 200;
            const response = await w.app.inject({
              method: write.method,
              url: `/api/v1/enterprises/${w.enterprise[key]}${write.path}`,
              headers: w.as(name),
              payload: write.body(name, key) as Record<string, unknown>,
            });
            const label = `${name} ${write.method} ${key}${write.path}: ${response.body}`;
            const granted = write.roles.includes(ROLE_OF(name));
            if (!visible) expect(response.statusCode, label).toBe(404);
            else if (!granted) expect(response.statusCode, label).toBe(403);
            else expect([200, 201], label).toContain(response.statusCode);
          }
      }
    });
  });
});
