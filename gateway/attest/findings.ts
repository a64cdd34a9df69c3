/** What a verification can find. Kinds in CLEAN_KINDS are reported but do not make the data unclean. */
export type FindingKind =
  | 'malformed_attestation'
  | 'bad_signature'
  | 'other_gateway'
  | 'reordered'
  | 'fork'
  | 'broken_chain'
  | 'missing_attestations'
  | 'dropped_by_policy'
  | 'clock_jump'
  | 'deleted'
  /** Attested (in the bureau's copy) after the newest attestation the store holds, and not in the store. */
  | 'undelivered'
  | 'inserted'
  | 'altered'
  | 'unattested'
  | 'future';

export interface Finding {
  kind: FindingKind;
  /** The store time the finding is about (ms). */
  at?: number;
  device?: string;
  from?: number;
  to?: number;
  message: string;
}

/** Reported for the record, not a sign of tampering: the gateway itself declared these drops. */
export const CLEAN_KINDS: ReadonlySet<FindingKind> = new Set(['dropped_by_policy']);
