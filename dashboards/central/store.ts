/**
 * The central service's storage: the registry of gateways and every attestation they sent, in one
 * SQLite file (WAL, prepared statements). The first attestation stored for a (gateway, seq) is never
 * replaced; a different one with the same seq is kept beside it as a fork record: evidence.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type Attestation, attestationHash } from '../../gateway/attest/attestation.ts';
import { fingerprint } from '../../gateway/attest/identity.ts';
import { CentralError } from './errors.ts';
import { GATEWAY_ID_PATTERN } from './schemas.ts';

export interface RegisteredGateway {
  id: string;
  publicKeyPem: string;
  publicKey: KeyObject;
  fingerprint: string;
  enterprise: string | null;
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

const SCHEMA_VERSION = 1;
/** Rows per page when streaming a window: the connection is never held across an await. */
const PAGE = 2000;

export class CentralStore {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly ingestMany: (items: readonly VerifiedItem[]) => IngestResult;

  /**
   * `maxForks`: fork records kept per gateway. A few mean a restored backup; thousands mean its key
   * signs a second chain, and past that point more of them only fill the disk.
   */
  constructor(
    file: string,
    private readonly maxForks = 1000,
  ) {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: an answered 200 means the attestations survive a power cut; the gateway frees them after.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION)
      throw new Error(`${file} has schema version ${version}; this shugai knows up to ${SCHEMA_VERSION}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS gateways (
        id TEXT PRIMARY KEY, public_key TEXT NOT NULL, fingerprint TEXT NOT NULL,
        enterprise TEXT, registered_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS attestations (
        id INTEGER PRIMARY KEY, gateway TEXT NOT NULL REFERENCES gateways(id), seq INTEGER NOT NULL,
        hash TEXT NOT NULL, stamp INTEGER NOT NULL, time INTEGER NOT NULL, body TEXT NOT NULL,
        received INTEGER NOT NULL, fork INTEGER NOT NULL,
        UNIQUE (gateway, seq, hash));
      CREATE UNIQUE INDEX IF NOT EXISTS attestations_chain ON attestations (gateway, seq) WHERE fork = 0;
      CREATE INDEX IF NOT EXISTS attestations_by_stamp ON attestations (gateway, stamp);
      CREATE INDEX IF NOT EXISTS attestations_forks ON attestations (gateway, seq) WHERE fork = 1;
      PRAGMA user_version = ${SCHEMA_VERSION};`);
    this.statements = {
      gateway: this.db.prepare('SELECT * FROM gateways WHERE id = ?'),
      register: this.db.prepare(
        'INSERT INTO gateways (id, public_key, fingerprint, enterprise, registered_at) VALUES (?, ?, ?, ?, ?)',
      ),
      sameSeq: this.db.prepare('SELECT hash, fork FROM attestations WHERE gateway = ? AND seq = ?'),
      insert: this.db.prepare(
        'INSERT INTO attestations (gateway, seq, hash, stamp, time, body, received, fork) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      page: this.db.prepare(
        `SELECT id, stamp, body FROM attestations
         WHERE gateway = ? AND (stamp, id) > (?, ?) AND stamp < ? ORDER BY stamp, id LIMIT ${PAGE}`,
      ),
      counts: this.db.prepare(
        'SELECT COUNT(*) AS n, MIN(seq) AS first, MAX(seq) AS last FROM attestations WHERE gateway = ? AND fork = 0',
      ),
      lastTime: this.db.prepare(
        'SELECT time FROM attestations WHERE gateway = ? AND fork = 0 ORDER BY seq DESC LIMIT 1',
      ),
      // A gap starts after each held seq whose successor is not held (the last one excepted);
      // index lookups only, and LIMIT stops the scan once enough gaps are found.
      gaps: this.db.prepare(
        `SELECT a.seq + 1 AS "from",
           (SELECT MIN(c.seq) FROM attestations c WHERE c.gateway = a.gateway AND c.fork = 0 AND c.seq > a.seq) - 1 AS "to"
         FROM attestations a
         WHERE a.gateway = ? AND a.fork = 0 AND a.seq < ?
           AND NOT EXISTS (SELECT 1 FROM attestations b WHERE b.gateway = a.gateway AND b.fork = 0 AND b.seq = a.seq + 1)
         ORDER BY a.seq LIMIT ?`,
      ),
      forkCount: this.db.prepare('SELECT COUNT(*) AS n FROM attestations WHERE gateway = ? AND fork = 1'),
      forks: this.db.prepare(
        `SELECT f.seq, f.stamp, f.hash, f.received, c.hash AS first FROM attestations f
         JOIN attestations c ON c.gateway = f.gateway AND c.seq = f.seq AND c.fork = 0
         WHERE f.gateway = ? AND f.fork = 1 ORDER BY f.seq, f.id LIMIT ?`,
      ),
    };
    this.ingestMany = this.db.transaction((items: readonly VerifiedItem[]) => {
      const result: IngestResult = { accepted: 0, duplicates: 0, forks: 0, forked: [] };
      const received = Date.now();
      for (const { stamp, attestation } of items) {
        const hash = attestationHash(attestation);
        const held = this.statements.sameSeq.all(attestation.gateway, attestation.seq) as {
          hash: string;
          fork: number;
        }[];
        if (held.some((row) => row.hash === hash)) {
          result.duplicates++;
          continue;
        }
        const fork = held.length > 0 ? 1 : 0;
        if (fork && (this.statements.forkCount.get(attestation.gateway) as { n: number }).n >= this.maxForks)
          throw new CentralError(
            'TOO_MANY_FORKS',
            `gateway ${attestation.gateway} already has ${this.maxForks} fork records: its key signs a second chain (a restored backup or a copied key); further forks are refused until an operator looks`,
          );
        this.statements.insert.run(
          attestation.gateway,
          attestation.seq,
          hash,
          stamp,
          attestation.time,
          JSON.stringify(attestation),
          received,
          fork,
        );
        if (fork) {
          result.forks++;
          result.forked.push({ gateway: attestation.gateway, seq: attestation.seq });
        } else result.accepted++;
      }
      return result;
    });
  }

  /** Registers a gateway's Ed25519 public key (an operator's act); the same key again changes nothing. */
  register(input: { id: string; publicKeyPem: string; enterprise?: string }): RegisteredGateway {
    checkGatewayId(input.id);
    const key = parseEd25519(input.publicKeyPem);
    const pem = key.export({ type: 'spki', format: 'pem' }).toString();
    const existing = this.gateway(input.id);
    if (existing) {
      if (existing.fingerprint === fingerprint(key)) return existing;
      throw new CentralError(
        'KEY_CONFLICT',
        `gateway ${input.id} is already registered with another key (${existing.fingerprint}); a key is never replaced silently`,
      );
    }
    this.statements.register.run(input.id, pem, fingerprint(key), input.enterprise ?? null, Date.now());
    return this.gateway(input.id) as RegisteredGateway;
  }

  gateway(id: string): RegisteredGateway | undefined {
    const row = this.statements.gateway.get(id) as
      | {
          id: string;
          public_key: string;
          fingerprint: string;
          enterprise: string | null;
          registered_at: number;
        }
      | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      publicKeyPem: row.public_key,
      publicKey: createPublicKey(row.public_key),
      fingerprint: row.fingerprint,
      enterprise: row.enterprise,
      registeredAt: row.registered_at,
    };
  }

  /** Stores verified attestations in one transaction: all of them or none. */
  ingest(items: readonly VerifiedItem[]): IngestResult {
    return this.ingestMany(items);
  }

  /**
   * NDJSON lines `{"stamp":…,"attestation":{…}}` of the gateway's attestations (fork records too)
   * whose stamp is in [from, to), by stamp; yields a page of lines at a time.
   */
  *ndjson(gateway: string, from: number, to: number): Generator<string> {
    let after: [number, number] = [from, -1];
    for (;;) {
      const rows = this.statements.page.all(gateway, after[0], after[1], to) as {
        id: number;
        stamp: number;
        body: string;
      }[];
      if (rows.length === 0) return;
      yield rows.map((r) => `{"stamp":${r.stamp},"attestation":${r.body}}\n`).join('');
      if (rows.length < PAGE) return;
      const last = rows.at(-1) as { id: number; stamp: number };
      after = [last.stamp, last.id];
    }
  }

  chain(gateway: RegisteredGateway, cap = 1000): ChainSummary {
    const counts = this.statements.counts.get(gateway.id) as {
      n: number;
      first: number | null;
      last: number | null;
    };
    const missing: [number, number][] = [];
    let missingTruncated = false;
    if (counts.first !== null && counts.last !== null) {
      if (counts.first > 1) missing.push([1, counts.first - 1]);
      const gaps = this.statements.gaps.all(gateway.id, counts.last, cap + 1) as {
        from: number;
        to: number;
      }[];
      for (const gap of gaps) missing.push([gap.from, gap.to]);
      if (missing.length > cap) {
        missing.length = cap;
        missingTruncated = true;
      }
    }
    const lastTime = this.statements.lastTime.get(gateway.id) as { time: number } | undefined;
    const forkRows = this.statements.forks.all(gateway.id, cap) as {
      seq: number;
      stamp: number;
      hash: string;
      received: number;
      first: string;
    }[];
    return {
      gateway: gateway.id,
      fingerprint: gateway.fingerprint,
      count: counts.n,
      firstSeq: counts.first,
      lastSeq: counts.last,
      lastTime: lastTime?.time ?? null,
      missing,
      missingSeqs: counts.last === null ? 0 : counts.last - counts.n,
      missingTruncated,
      forks: forkRows.map((f) => ({
        seq: f.seq,
        stamp: f.stamp,
        hash: f.hash,
        firstHash: f.first,
        receivedAt: f.received,
      })),
      forkCount: (this.statements.forkCount.get(gateway.id) as { n: number }).n,
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Gateway ids follow the config's grammar (gateway.id). */
export function checkGatewayId(id: string): void {
  if (!new RegExp(GATEWAY_ID_PATTERN).test(id))
    throw new CentralError(
      'BAD_REQUEST',
      `gateway id "${id}": ids are 1–64 characters: letters, digits, _ . - (not first)`,
    );
}

/** A PEM public key that must be Ed25519; anything else is refused with the reason. */
export function parseEd25519(pem: string): KeyObject {
  // createPublicKey would derive a public key from a private one; a private key never leaves the box.
  if (pem.includes('PRIVATE KEY'))
    throw new CentralError('BAD_KEY', 'this is a private key; register the public key (gateway.pub)');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new CentralError('BAD_KEY', `not a PEM public key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new CentralError('BAD_KEY', `the key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}
