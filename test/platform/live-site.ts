/**
 * A site for end-to-end tests of the platform with a REAL gateway: a real Mosquitto and a publisher,
 * and for each platform database (SQLite, PostgreSQL) the seeded platform listening on a loopback
 * port (the central sink's URL) and a temp folder. The gateway a test starts is filed in 永康's file
 * as its provider files one (its key from `shugai gateway init`, its store and config recorded) and
 * stopped after the tests.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { ok } from '../../dashboards/platform/applications/testing.ts';
import { eachDatabase, seedWorld, type TestDatabase, type World } from '../../dashboards/platform/testing.ts';
import { initIdentity } from '../../gateway/attest/identity.ts';
import { loadGatewayConfig } from '../../gateway/config/schema.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../services/mosquitto.ts';

export interface LiveSite {
  database: TestDatabase;
  mosquitto: Mosquitto;
  publisher: MqttClient;
  w: World;
  dir: string;
  /** The platform's URL: where the central sink posts. */
  url: string;
  /** The gateway started, until a test stops it (then it sets undefined). */
  gateway: Gateway | undefined;
  /** Files the gateway in 永康's file and starts it on `config` (written to dir/plant.yaml). */
  startGateway(gatewayId: string, config: string): Promise<Gateway>;
  /** The row a query gives of the gateway's embedded store, read beside the running gateway. */
  readStore<T>(sql: string): T;
}

export function eachLiveSite(title: string, body: (site: () => LiveSite) => void): void {
  describe.skipIf(!mosquittoBinary.available)(title, () => {
    let mosquitto: Mosquitto;
    let publisher: MqttClient;
    beforeAll(async () => {
      mosquitto = await startMosquitto();
      publisher = await connectAsync(mosquitto.url, { clientId: `${title.replace(/\W+/g, '-')}-publisher` });
    }, 60_000);
    afterAll(async () => {
      await publisher?.endAsync();
      await mosquitto?.stop();
    });

    eachDatabase((database) => {
      let site: LiveSite | undefined;
      beforeAll(async () => {
        const dir = await mkdtemp(path.join(tmpdir(), 'shugai-live-site-'));
        const w = await seedWorld(await database.open());
        await w.app.listen({ host: '127.0.0.1', port: 0 });
        const address = w.app.server.address();
        const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
        const s: LiveSite = {
          database,
          mosquitto,
          publisher,
          w,
          dir,
          url,
          gateway: undefined,
          async startGateway(gatewayId, config) {
            s.gateway = await startFiledGateway(w, dir, gatewayId, config);
            return s.gateway;
          },
          readStore<T>(sql: string): T {
            const file = path.join(dir, 'data', 'samples.db');
            const db = new Database(file, { readonly: true, fileMustExist: true });
            try {
              return db.prepare(sql).get() as T;
            } finally {
              db.close();
            }
          },
        };
        site = s;
      });
      afterAll(async () => {
        await site?.gateway?.stop(2000);
        await site?.w.app.close();
        if (site) await rm(site.dir, { recursive: true, force: true });
      });
      body(() => site as LiveSite);
    });
  });
}

async function startFiledGateway(w: World, dir: string, gatewayId: string, config: string) {
  const id = w.enterprise.yongkang;
  await writeFile(path.join(dir, 'plant.yaml'), config);
  const identity = initIdentity(path.join(dir, 'data')).identity;
  await ok(
    w.call('provider-1', 'POST', `/api/v1/enterprises/${id}/gateways`, {
      id: gatewayId,
      publicKey: identity.publicKeyPem,
    }),
    201,
  );
  await ok(
    w.call('provider-1', 'PUT', `/api/v1/enterprises/${id}/gateways/${gatewayId}/store`, {
      store: path.join(dir, 'data', 'samples.db'),
      config,
    }),
  );
  return Gateway.start(loadGatewayConfig(path.join(dir, 'plant.yaml'), PLUGINS), PLUGINS, silentLogger);
}
