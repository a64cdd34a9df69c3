/**
 * The central service's storage, on the platform's database (SQLite or PostgreSQL through Kysely):
 * the registered gateways (part of the enterprise file) and every attestation they sent. The first
 * attestation stored for a (gateway, seq) is never replaced; a different one with the same seq is kept
 * beside it as a fork record: evidence.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { type Insertable, sql } from 'kysely';
import { type Attestation, attestationHash } from '../../gateway/attest/attestation.ts';
import type { Db, Executor } from '../platform/db/connect.ts';
import type { AttestationTable } from '../platform/db/schema.ts';
import { CentralError } from './errors.ts';

export interface RegisteredGateway {
  id: string;
  enterpriseId: string;
  publicKeyPem: string;
  publicKey: KeyObject;
  fingerprint: string;
  registeredAt: number;
}

/** An attestation whose signature the caller has checked, with its store timestamp. */
export interface VerifiedItem {
  stamp: number;
  attestation: Attestation;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  forks: number;
  /** The fork records stored by this call, for the log. */
  forked: { gateway: string; seq: number }[];
}

export interface ForkRecord {
  seq: number;
  stamp: number;
  hash: string;
  /** Hash of the attestation first stored with this seq. */
  firstHash: string;
  receivedAt: number;
}

export interface ChainSummary {
  gateway: string;
  fingerprint: string;
  count: number;
  firstSeq: number | null;
  lastSeq: number | null;
  lastTime: number | null;
  /** Seq ranges [from, to] (both included) never received, from seq 1 to lastSeq, at most `cap`. */
  missing: [number, number][];
  missingSeqs: number;
  missingTruncated: boolean;
  forks: ForkRecord[];
  forkCount: number;
}

/** Rows per page when streaming a window: no connection is held while the client reads. */
const PAGE = 2000;
/** Seqs per lookup and rows per INSERT: 8 columns each stays far below either database's parameter limit. */
const CHUNK = 500;

export class CentralStore {
  /**
   * `maxForks`: fork records kept per gateway. A few mean a restored backup; thousands mean its key
   * signs a second chain, and past that point more of them only fill the disk.
   */
  constructor(
    private readonly db: Db,
    private readonly maxForks = 1000,
  ) {}

  async gateway(id: string): Promise<RegisteredGateway | undefined> {
    const row = await this.db.selectFrom('gateways').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      enterpriseId: row.enterprise_id,
      publicKeyPem: row.public_key,
      publicKey: createPublicKey(row.public_key),
      fingerprint: row.fingerprint,
      registeredAt: row.registered_at,
    };
  }

  /**
   * Stores verified attestations in one transaction: all of them or none. The gateways' rows are
   * locked first, in id order, by a no-op update (a row lock in PostgreSQL, the write lock in SQLite:
   * one statement for both), so two `serve` processes taking the same attestations at once cannot
   * both decide a seq is new.
   */
  async ingest(items: readonly VerifiedItem[], received = Date.now()): Promise<IngestResult> {
    const gateways = [...new Set(items.map((i) => i.attestation.gateway))].sort();
    return this.db.transaction().execute(async (trx) => {
      for (const id of gateways)
        await trx
          .updateTable('gateways')
          .set((eb) => ({ id: eb.ref('id') }))
          .where('id', '=', id)
          .execute();
      const result: IngestResult = { accepted: 0, duplicates: 0, forks: 0, forked: [] };
      // What is held already, read once per gateway (not once per item): hashes by seq, fork count.
      const held = new Map<string, { hashes: Map<number, string[]>; forks: number }>();
      for (const gateway of gateways) {
        const seqs = [
          ...new Set(items.filter((i) => i.attestation.gateway === gateway).map((i) => i.attestation.seq)),
        ];
        const hashes = new Map<number, string[]>();
        for (let i = 0; i < seqs.length; i += CHUNK) {
          const rows = await trx
            .selectFrom('attestations')
            .select(['seq', 'hash'])
            .where('gateway', '=', gateway)
            .where('seq', 'in', seqs.slice(i, i + CHUNK))
            .execute();
          for (const row of rows) hashes.set(row.seq, [...(hashes.get(row.seq) ?? []), row.hash]);
        }
        held.set(gateway, { hashes, forks: await this.forkCount(trx, gateway) });
      }
      const rows: Insertable<AttestationTable>[] = [];
      for (const { stamp, attestation } of items) {
        const hash = attestationHash(attestation);
        const gateway = held.get(attestation.gateway) as { hashes: Map<number, string[]>; forks: number };
        const same = gateway.hashes.get(attestation.seq) ?? [];
        if (same.includes(hash)) {
          result.duplicates++;
          continue;
        }
        const fork = same.length > 0 ? 1 : 0;
        if (fork && gateway.forks >= this.maxForks)
          throw new CentralError(
            'TOO_MANY_FORKS',
            `gateway ${attestation.gateway} already has ${this.maxForks} fork records: its key signs a second chain (a restored backup or a copied key); further forks are refused until an operator looks`,
          );
        gateway.hashes.set(attestation.seq, [...same, hash]);
        rows.push({
          gateway: attestation.gateway,
          seq: attestation.seq,
          hash,
          stamp,
          time: attestation.time,
          body: JSON.stringify(attestation),
          received,
          fork,
        });
        if (fork) {
          gateway.forks++;
          result.forks++;
          result.forked.push({ gateway: attestation.gateway, seq: attestation.seq });
        } else result.accepted++;
      }
      for (let i = 0; i < rows.length; i += CHUNK)
        await trx
          .insertInto('attestations')
          .values(rows.slice(i, i + CHUNK))
          .execute();
      return result;
    });
  }

  private async forkCount(db: Executor, gateway: string): Promise<number> {
    const row = await db
      .selectFrom('attestations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('gateway', '=', gateway)
      .where('fork', '=', 1)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * NDJSON lines `{"stamp":…,"attestation":{…}}` of the gateway's attestations (fork records too)
   * whose stamp is in [from, to), by stamp; yields a page of lines at a time.
   */
  async *ndjson(gateway: string, from: number, to: number): AsyncGenerator<string> {
    for await (const rows of this.pages(gateway, from, to))
      yield rows.map((r) => `{"stamp":${r.stamp},"attestation":${r.body}}\n`).join('');
  }

  /**
   * The same attestations as the verifier reads them (its AttestationSource): the JSON text exactly as
   * the gateway signed and sent it, with its store stamp. The platform verifies against its own copy.
   */
  async *attestations(
    gateway: string,
    from: number,
    to: number,
  ): AsyncGenerator<{ text: string; stamp: number }> {
    for await (const rows of this.pages(gateway, from, to))
      for (const row of rows) yield { text: row.body, stamp: row.stamp };
  }

  /** Pages of rows by (stamp, id); no connection is held between pages. */
  private async *pages(
    gateway: string,
    from: number,
    to: number,
  ): AsyncGenerator<{ id: number; stamp: number; body: string }[]> {
    let after: [number, number] = [from, -1];
    for (;;) {
      const rows = await this.db
        .selectFrom('attestations')
        .select(['id', 'stamp', 'body'])
        .where('gateway', '=', gateway)
        .where((eb) =>
          eb.or([eb('stamp', '>', after[0]), eb.and([eb('stamp', '=', after[0]), eb('id', '>', after[1])])]),
        )
        .where('stamp', '<', to)
        .orderBy('stamp')
        .orderBy('id')
        .limit(PAGE)
        .execute();
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < PAGE) return;
      const last = rows.at(-1) as { id: number; stamp: number };
      after = [last.stamp, last.id];
    }
  }

  async chain(gateway: RegisteredGateway, cap = 1000): Promise<ChainSummary> {
    const counts = await this.db
      .selectFrom('attestations')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.min('seq').as('first'),
        eb.fn.max('seq').as('last'),
      ])
      .where('gateway', '=', gateway.id)
      .where('fork', '=', 0)
      .executeTakeFirstOrThrow();
    const n = Number(counts.n);
    const first = counts.first === null ? null : Number(counts.first);
    const last = counts.last === null ? null : Number(counts.last);
    const missing: [number, number][] = [];
    let missingTruncated = false;
    if (first !== null && last !== null) {
      if (first > 1) missing.push([1, first - 1]);
      // A gap starts after each held seq whose successor is not held (the last one excepted); index
      // lookups only, and LIMIT stops the scan once enough gaps are found.
      const gaps = await sql<{ from: number; to: number }>`
        SELECT a.seq + 1 AS "from",
          (SELECT MIN(c.seq) FROM attestations c WHERE c.gateway = a.gateway AND c.fork = 0 AND c.seq > a.seq) - 1 AS "to"
        FROM attestations a
        WHERE a.gateway = ${gateway.id} AND a.fork = 0 AND a.seq < ${last}
          AND NOT EXISTS (SELECT 1 FROM attestations b WHERE b.gateway = a.gateway AND b.fork = 0 AND b.seq = a.seq + 1)
        ORDER BY a.seq LIMIT ${cap + 1}`.execute(this.db);
      for (const gap of gaps.rows) missing.push([Number(gap.from), Number(gap.to)]);
      if (missing.length > cap) {
        missing.length = cap;
        missingTruncated = true;
      }
    }
    const lastTime = await this.db
      .selectFrom('attestations')
      .select('time')
      .where('gateway', '=', gateway.id)
      .where('fork', '=', 0)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const forkRows = await this.db
      .selectFrom('attestations as f')
      .innerJoin('attestations as c', (join) =>
        join.onRef('c.gateway', '=', 'f.gateway').onRef('c.seq', '=', 'f.seq').on('c.fork', '=', 0),
      )
      .select(['f.seq', 'f.stamp', 'f.hash', 'f.received', 'c.hash as first'])
      .where('f.gateway', '=', gateway.id)
      .where('f.fork', '=', 1)
      .orderBy('f.seq')
      .orderBy('f.id')
      .limit(cap)
      .execute();
    return {
      gateway: gateway.id,
      fingerprint: gateway.fingerprint,
      count: n,
      firstSeq: first,
      lastSeq: last,
      lastTime: lastTime?.time ?? null,
      missing,
      missingSeqs: last === null ? 0 : last - n,
      missingTruncated,
      forks: forkRows.map((f) => ({
        seq: f.seq,
        stamp: f.stamp,
        hash: f.hash,
        firstHash: f.first,
        receivedAt: f.received,
      })),
      forkCount: await this.forkCount(this.db, gateway.id),
    };
  }
}
