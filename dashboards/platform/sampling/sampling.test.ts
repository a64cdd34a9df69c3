// On-site sampling: the draw is HMAC-SHA256(seed, uscc) ascending, recorded with its seed, the same
// for anyone who draws again (the README's worked example is checked here), limited to the officer's region.
import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { usccCheckCharacter } from '../enterprises/uscc.ts';
import { ENTERPRISES, eachDatabase, seedWorld, USCC } from '../testing.ts';
import { drawOrder } from './draw.ts';

const code = (first17: string) => `${first17}${usccCheckCharacter(first17)}`;

it('orders the README example as its Python lines do', () => {
  const seed = '2026-batch1-福彩3D-2026001';
  const { ordered, picked } = drawOrder(seed, [USCC.yongkang, USCC.hebi, USCC.guangzhou], 2);
  expect(ordered).toEqual([
    { uscc: '914403001922038216', key: '62d645358bc1d812d3f2a3b1e5210132c446c38e67578b51632daa3914610aee' },
    { uscc: '9144030071526726XG', key: 'dc8a14dc3ac21e1fdd7a7c237de36829e8e468407a289864b86542d6ce586a2a' },
    { uscc: '91330100716105852F', key: 'ec98ac1883ff205652f39d035f003f4353711a059f353c3e0bc04ad039578d7d' },
  ]);
  expect(picked).toEqual(['914403001922038216', '9144030071526726XG']);
});

eachDatabase((database) => {
  it('draws N of a batch in the region, records the seed, and draws the same again', async () => {
    const w = await seedWorld(await database.open());
    const extra = [code('91330784MA28K3L5X'), code('91330784MA29B7C1Y'), code('91330784MA2AT4P8W')];
    for (const [i, uscc] of extra.entries()) {
      const r = await w.call('officer-yk', 'POST', '/api/v1/enterprises', {
        ...ENTERPRISES.yongkang,
        name: `永康第${i + 2}家杯厂`,
        uscc,
        batch: i === 2 ? 2 : 1,
      });
      expect(r.statusCode).toBe(200);
    }
    const seed = 'public-lottery-2026001';
    const draw = await w.call('officer-yk', 'POST', '/api/v1/samplings', { batch: 1, size: 2, seed });
    expect(draw.statusCode).toBe(201);
    const body = draw.json();
    const candidates = [USCC.yongkang, extra[0], extra[1]] as string[];
    const expected = candidates
      .map((uscc) => ({ uscc, key: createHmac('sha256', seed).update(uscc).digest('hex') }))
      .sort((a, b) => a.key.localeCompare(b.key));
    expect(body).toMatchObject({ batch: 1, region: '330784', seed, size: 2, drawnBy: 'officer-yk' });
    expect(body.candidates.map((c: { uscc: string; key: string }) => ({ uscc: c.uscc, key: c.key }))).toEqual(
      expected,
    );
    expect(body.picked.map((p: { uscc: string }) => p.uscc)).toEqual(expected.slice(0, 2).map((c) => c.uscc));
    const again = await w.call('officer-yk', 'POST', '/api/v1/samplings', { batch: 1, size: 2, seed });
    expect(again.json().picked).toEqual(body.picked);
    expect((await w.call('officer-yk', 'GET', `/api/v1/samplings/${body.id}`)).json()).toEqual(body);
    expect((await w.call('officer-yk', 'GET', '/api/v1/samplings')).json()).toHaveLength(2);

    const random = (await w.call('officer-yk', 'POST', '/api/v1/samplings', { batch: 1, size: 1 })).json();
    expect(random.seed).toMatch(/^[0-9a-f]{32}$/);

    expect((await w.call('officer-yk', 'POST', '/api/v1/samplings', { batch: 1, size: 4 })).json()).toEqual({
      code: 'BAD_REQUEST',
      error: 'cannot draw 4 of the 3 enterprises of batch 1',
    });
    expect(
      (await w.call('officer-yk', 'POST', '/api/v1/samplings', { batch: 7, size: 1 })).json(),
    ).toMatchObject({ code: 'BAD_REQUEST' });
    expect((await w.call('officer-yk', 'POST', '/api/v1/samplings', { batch: 1, size: 0 })).statusCode).toBe(
      400,
    );
    // Another region sees neither the draw nor 永康's enterprises; other roles may not draw.
    expect((await w.call('officer-hb', 'GET', `/api/v1/samplings/${body.id}`)).statusCode).toBe(404);
    expect((await w.call('officer-hb', 'GET', '/api/v1/samplings')).json()).toEqual([]);
    expect(
      (await w.call('officer-hb', 'POST', '/api/v1/samplings', { batch: 1, size: 1 })).json(),
    ).toMatchObject({ code: 'BAD_REQUEST' });
    for (const who of ['ent-yk', 'provider-1', 'assessor-1', 'admin'])
      expect((await w.call(who, 'POST', '/api/v1/samplings', { batch: 1, size: 1 })).json()).toMatchObject({
        code: 'FORBIDDEN',
      });
    const audited = await w.platform.db
      .selectFrom('audit_log')
      .select('after')
      .where('action', '=', 'sampling.draw')
      .orderBy('seq')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(audited.after as string)).toMatchObject({
      seed,
      picked: body.picked.map((p: { uscc: string }) => p.uscc),
    });
  });
});
