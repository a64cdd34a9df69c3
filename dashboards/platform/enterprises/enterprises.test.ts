// The enterprise file through inject(), on SQLite and on a real PostgreSQL: enterprises with their
// codes checked, the equipment register, gateways and their keys, the renovation with exact amounts,
// assessor assignments; each change audited with who, what, before and after.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../../gateway/attest/identity.ts';
import { testGateway } from '../../central/testing.ts';
import { verifyAudit } from '../audit/log.ts';
import { ENTERPRISES, eachDatabase, seedWorld } from '../testing.ts';

const NEW = {
  name: '永康某电动工具有限公司',
  uscc: '91110000100010433L',
  region: '330784',
  industry: '3421',
  scale: 'small',
  sme: true,
  batch: 2,
};

eachDatabase((database) => {
  const world = async () => seedWorld(await database.open());

  describe('enterprises', () => {
    it('lets an officer file an enterprise of its region, and audits it', async () => {
      const w = await world();
      const created = await w.call('officer-yk', 'POST', '/api/v1/enterprises', NEW);
      expect(created.statusCode).toBe(200);
      const body = created.json();
      expect(body).toMatchObject(NEW);
      expect(body.id).toMatch(/^ent_[0-9a-f]{16}$/);
      expect((await w.call('officer-yk', 'GET', `/api/v1/enterprises/${body.id}`)).json()).toEqual(body);
      const entry = await w.platform.db
        .selectFrom('audit_log')
        .selectAll()
        .where('entity_id', '=', body.id)
        .executeTakeFirstOrThrow();
      expect(entry).toMatchObject({
        actor: 'account:officer-yk',
        action: 'enterprise.create',
        entity: 'enterprise',
        before: null,
      });
      expect(JSON.parse(entry.after as string)).toEqual(body);
    });

    it('refuses an invalid credit code, region or industry, a taken code, and an enterprise outside the region', async () => {
      const w = await world();
      const post = (payload: Record<string, unknown>, who = 'officer-yk') =>
        w.call(who, 'POST', '/api/v1/enterprises', { ...NEW, ...payload });
      expect((await post({ uscc: '91110000100010433M' })).json()).toEqual({
        error: 'uscc 91110000100010433M: the check character is "M", GB 32100-2015 gives "L"',
        code: 'BAD_USCC',
      });
      expect((await post({ uscc: '91110000100010433M' })).statusCode).toBe(400);
      expect((await post({ region: '3307' })).json().code).toBe('BAD_REGION');
      expect((await post({ region: '990784' })).json().code).toBe('BAD_REGION');
      // A code the GB/T 4754-2017 table does not have, and one written with its section letter.
      expect((await post({ industry: '3388' })).json()).toMatchObject({ code: 'BAD_INDUSTRY' });
      expect((await post({ industry: 'C3382' })).json()).toEqual({
        code: 'BAD_INDUSTRY',
        error: 'industry: write the code without its section letter: "3382"',
      });
      expect((await post({ uscc: ENTERPRISES.hebi.uscc })).json()).toEqual({
        error: `an enterprise with uscc ${ENTERPRISES.hebi.uscc} is already on file`,
        code: 'CONFLICT',
      });
      expect((await post({ scale: 'huge' })).statusCode).toBe(400);
      expect((await post({ sme: 'yes' })).statusCode).toBe(400);
      expect((await post({ batch: '2' })).statusCode).toBe(400);
      const elsewhere = await post({ region: '410600' });
      expect(elsewhere.statusCode).toBe(403);
      expect(elsewhere.json().error).toBe("region 410600 is outside this officer's region 330784");
      // A prefecture officer files in any of its districts.
      expect((await post({ region: '440106' }, 'officer-gz')).statusCode).toBe(200);
      for (const who of ['ent-yk', 'provider-1', 'assessor-1'])
        expect((await post({}, who)).statusCode).toBe(403);
      expect((await w.platform.db.selectFrom('enterprises').select('id').execute()).length).toBe(4);
    });

    it('changes an enterprise, keeping before and after in the audit log', async () => {
      const w = await world();
      const id = w.enterprise.hebi;
      const response = await w.call('officer-hb', 'PUT', `/api/v1/enterprises/${id}`, {
        ...ENTERPRISES.hebi,
        scale: 'small',
        batch: 3,
      });
      expect(response.json()).toMatchObject({ scale: 'small', batch: 3 });
      const entry = await w.platform.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'enterprise.update')
        .executeTakeFirstOrThrow();
      expect(JSON.parse(entry.before as string)).toMatchObject({ scale: 'medium', batch: 2 });
      expect(JSON.parse(entry.after as string)).toMatchObject({ scale: 'small', batch: 3 });
      // The enterprise itself may read but not change its facts; moving it out of the region is refused.
      expect((await w.call('ent-hb', 'PUT', `/api/v1/enterprises/${id}`, ENTERPRISES.hebi)).statusCode).toBe(
        403,
      );
      const away = await w.call('officer-hb', 'PUT', `/api/v1/enterprises/${id}`, {
        ...ENTERPRISES.hebi,
        region: '330784',
      });
      expect(away.statusCode).toBe(403);
      expect(await verifyAudit(w.platform.db)).toMatchObject({ ok: true });
    });
  });

  describe('the enterprise file', () => {
    it('answers the whole file of an enterprise in one document', async () => {
      const w = await world();
      const gw = testGateway('yk-gw-file');
      await w.call('provider-1', 'POST', `/api/v1/enterprises/${w.enterprise.yongkang}/gateways`, {
        id: gw.id,
        publicKey: gw.publicKeyPem,
      });
      const entry = {
        assetNo: 'YK-001',
        name: '数控冲床',
        type: 'press',
        production: true,
        status: 'in-use',
      };
      await w.call('ent-yk', 'PUT', `/api/v1/enterprises/${w.enterprise.yongkang}/register`, {
        entries: [entry],
      });
      const file = await w.call('officer-yk', 'GET', `/api/v1/enterprises/${w.enterprise.yongkang}/file`);
      expect(file.statusCode).toBe(200);
      expect(file.json()).toMatchObject({
        enterprise: { id: w.enterprise.yongkang, ...ENTERPRISES.yongkang },
        register: [entry],
        gateways: [{ id: 'yk-gw-file', fingerprint: fingerprint(gw.publicKey) }],
        renovation: { provider: 'provider-1', total: '36000.00' },
        assessors: ['assessor-1'],
        assessments: [],
      });
      const empty = await w.call('officer-hb', 'GET', `/api/v1/enterprises/${w.enterprise.hebi}/file`);
      expect(empty.json()).toMatchObject({
        register: [],
        gateways: [],
        renovation: null,
        assessors: [],
        assessments: [],
      });
    });
  });

  describe('equipment register', () => {
    it('replaces the register whole and keeps the previous one in the audit log', async () => {
      const w = await world();
      const url = `/api/v1/enterprises/${w.enterprise.yongkang}/register`;
      const entries = [
        { assetNo: 'YK-001', name: '数控冲床', type: 'press', production: true, status: 'in-use' },
        { assetNo: 'YK-002', name: '空压机', type: 'compressor', production: false, status: 'in-use' },
      ];
      const put = await w.call('ent-yk', 'PUT', url, { entries });
      expect(put.json()).toEqual({ entries });
      const second = [{ ...entries[0], status: 'idle' }];
      await w.call('provider-1', 'PUT', url, { entries: second });
      expect((await w.call('officer-yk', 'GET', url)).json()).toEqual({
        entries: second,
      });
      const entry = await w.platform.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'register.replace')
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      expect(JSON.parse(entry.before as string)).toEqual(entries);
      expect(entry.actor).toBe('account:provider-1');
      const twice = await w.call('ent-yk', 'PUT', url, { entries: [entries[0], entries[0]] });
      expect(twice.json()).toEqual({
        error: 'entries[1]: asset number YK-001 appears twice in the register',
        code: 'BAD_REQUEST',
      });
      const untyped = await w.call('ent-yk', 'PUT', url, { entries: [{ ...entries[0], production: 'yes' }] });
      expect(untyped.statusCode).toBe(400);
      expect((await w.call('assessor-1', 'PUT', url, { entries })).statusCode).toBe(403);
    });
  });

  describe('gateways', () => {
    it('registers a gateway key in the file; the same key again changes nothing; another key is refused', async () => {
      const w = await world();
      const gw = testGateway('yk-gw01');
      const url = `/api/v1/enterprises/${w.enterprise.yongkang}/gateways`;
      const first = await w.call('provider-1', 'POST', url, { id: gw.id, publicKey: gw.publicKeyPem });
      expect(first.statusCode).toBe(201);
      expect(first.json()).toMatchObject({
        id: 'yk-gw01',
        enterpriseId: w.enterprise.yongkang,
        fingerprint: fingerprint(gw.publicKey),
        publicKey: gw.publicKeyPem,
        registeredBy: 'provider-1',
      });
      const again = await w.call('officer-yk', 'POST', url, { id: gw.id, publicKey: gw.publicKeyPem });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());
      const other = await w.call('officer-yk', 'POST', url, {
        id: gw.id,
        publicKey: testGateway('x').publicKeyPem,
      });
      expect(other.statusCode).toBe(409);
      expect(other.json()).toEqual({
        error: `gateway yk-gw01 is already registered with another key (${fingerprint(gw.publicKey)}); a key is never replaced silently`,
        code: 'KEY_CONFLICT',
      });
      const elsewhere = await w.call(
        'officer-hb',
        'POST',
        `/api/v1/enterprises/${w.enterprise.hebi}/gateways`,
        { id: gw.id, publicKey: gw.publicKeyPem },
      );
      expect(elsewhere.json()).toEqual({
        error: 'gateway yk-gw01 is registered to another enterprise',
        code: 'CONFLICT',
      });
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
        .publicKey.export({ type: 'spki', format: 'pem' })
        .toString();
      expect((await w.call('provider-1', 'POST', url, { id: 'gw-rsa', publicKey: rsa })).json()).toEqual({
        error: 'the key is rsa, not Ed25519',
        code: 'BAD_KEY',
      });
      const privateKey = gw.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      expect(
        (await w.call('provider-1', 'POST', url, { id: 'gw-p', publicKey: privateKey })).json().code,
      ).toBe('BAD_KEY');
      expect(
        (await w.call('provider-1', 'POST', url, { id: '_bad', publicKey: gw.publicKeyPem })).statusCode,
      ).toBe(400);
      expect(
        (await w.call('ent-yk', 'POST', url, { id: 'gw-2', publicKey: gw.publicKeyPem })).statusCode,
      ).toBe(403);
      const list = await w.call('ent-yk', 'GET', url);
      expect(list.json().map((g: { id: string }) => g.id)).toEqual(['yk-gw01']);
      const audited = await w.platform.db
        .selectFrom('audit_log')
        .select(['actor', 'action'])
        .where('entity', '=', 'gateway')
        .execute();
      expect(audited).toEqual([{ actor: 'account:provider-1', action: 'gateway.register' }]);
    });
  });

  describe('renovation', () => {
    it('files the renovation with exact amounts and their total; a provider only names itself', async () => {
      const w = await world();
      const url = `/api/v1/enterprises/${w.enterprise.yongkang}/renovation`;
      const input = {
        contract: { number: 'YK-2025-001', signedOn: '2025-03-01' },
        provider: 'provider-1',
        items: [
          { category: 'hardware', description: '数据采集网关 2 台', amount: '36000.00' },
          { category: 'software', description: 'MES 一年', amount: '120000.10' },
          { category: 'service', description: '实施', amount: '0.20' },
        ],
      };
      const put = await w.call('provider-1', 'PUT', url, input);
      expect(put.statusCode).toBe(200);
      expect(put.json()).toMatchObject({ ...input, enterpriseId: w.enterprise.yongkang, total: '156000.30' });
      expect((await w.call('ent-yk', 'GET', url)).json().total).toBe('156000.30');
      const takeover = await w.call('provider-1', 'PUT', url, { ...input, provider: 'provider-2' });
      expect(takeover.statusCode).toBe(403);
      const asNumber = await w.call('provider-1', 'PUT', url, {
        ...input,
        items: [{ ...input.items[0], amount: 36000 }],
      });
      expect(asNumber.statusCode).toBe(400);
      const fen = await w.call('provider-1', 'PUT', url, {
        ...input,
        items: [{ ...input.items[0], amount: '1.005' }],
      });
      expect(fen.statusCode).toBe(400);
      const unknownProvider = await w.call('officer-yk', 'PUT', url, { ...input, provider: 'assessor-1' });
      expect(unknownProvider.json()).toEqual({
        error: 'provider assessor-1: no service provider account of that name',
        code: 'BAD_REQUEST',
      });
      // The officer hands the renovation to provider-2: provider-1 no longer sees the enterprise.
      expect((await w.call('officer-yk', 'PUT', url, { ...input, provider: 'provider-2' })).statusCode).toBe(
        200,
      );
      expect((await w.call('provider-1', 'GET', url)).statusCode).toBe(404);
      expect((await w.call('provider-2', 'GET', url)).statusCode).toBe(200);
      expect(
        (await w.call('officer-hb', 'GET', `/api/v1/enterprises/${w.enterprise.hebi}/renovation`)).statusCode,
      ).toBe(404);
    });
  });

  describe('assessors', () => {
    it('lets an officer assign an assessor, who then sees the enterprise', async () => {
      const w = await world();
      const url = `/api/v1/enterprises/${w.enterprise.hebi}/assessors`;
      const enterprise = `/api/v1/enterprises/${w.enterprise.hebi}`;
      expect((await w.call('assessor-2', 'GET', enterprise)).statusCode).toBe(404);
      const assigned = await w.call('officer-hb', 'POST', url, { assessor: 'assessor-2' });
      expect(assigned.json()).toEqual({ assessors: ['assessor-2'] });
      expect((await w.call('officer-hb', 'POST', url, { assessor: 'assessor-2' })).json()).toEqual({
        assessors: ['assessor-2'],
      });
      expect((await w.call('assessor-2', 'GET', enterprise)).statusCode).toBe(200);
      expect((await w.call('officer-hb', 'POST', url, { assessor: 'provider-1' })).statusCode).toBe(400);
      expect((await w.call('ent-hb', 'POST', url, { assessor: 'assessor-1' })).statusCode).toBe(403);
      expect((await w.call('officer-yk', 'POST', url, { assessor: 'assessor-1' })).statusCode).toBe(404);
      const audited = await w.platform.db
        .selectFrom('audit_log')
        .select('actor')
        .where('action', '=', 'assessor.assign')
        .orderBy('seq')
        .execute();
      expect(audited.map((a) => a.actor)).toEqual(['cli:test', 'account:officer-hb']);
    });
  });
});
