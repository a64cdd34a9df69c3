/**
 * The platform's tables as Kysely sees them. The same columns on SQLite and PostgreSQL: times are
 * integer milliseconds (bigint in PostgreSQL, read back as numbers), flags are 0/1 integers (SQLite
 * has no boolean and cannot bind one), money is a decimal string, and JSON is kept as text: its exact
 * bytes are what the audit chain and the record hashes cover (PostgreSQL's jsonb would reorder keys).
 */
import type { Generated } from 'kysely';

export interface AccountTable {
  id: string;
  name: string;
  role: string;
  /** GB/T 2260 code prefix an officer answers for (2, 4 or 6 digits); null for other roles. */
  region: string | null;
  /** The enterprise an enterprise account speaks for. */
  enterprise_id: string | null;
  display_name: string;
  password_hash: string;
  disabled: number;
  created_at: number;
}

export interface SessionTable {
  /** sha256 of the cookie's token: the database never holds a usable session. */
  id: string;
  account_id: string;
  csrf: string;
  created_at: number;
  expires_at: number;
}

export interface ApiTokenTable {
  id: string;
  account_id: string;
  name: string;
  secret_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface RateLimitTable {
  key: string;
  window_start: number;
  count: number;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface AuditLogTable {
  seq: number;
  at: number;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  before: string | null;
  after: string | null;
  prev: string;
  hash: string;
}

export interface EnterpriseTable {
  id: string;
  name: string;
  uscc: string;
  region: string;
  industry: string;
  scale: string;
  sme: number;
  batch: number | null;
  created_at: number;
  updated_at: number;
}

export interface EquipmentTable {
  enterprise_id: string;
  asset_no: string;
  name: string;
  type: string;
  production: number;
  status: string;
}

export interface GatewayTable {
  id: string;
  enterprise_id: string;
  public_key: string;
  fingerprint: string;
  registered_at: number;
  registered_by: string;
  /** Where the gateway stores its data: an embedded store's path, or an InfluxDB/VictoriaMetrics URL. */
  store: string | null;
  /** The gateway's config (YAML text): its devices and tags, for the machine evidence. */
  config: string | null;
}

export interface AttestationTable {
  id: Generated<number>;
  gateway: string;
  seq: number;
  hash: string;
  stamp: number;
  time: number;
  body: string;
  received: number;
  fork: number;
}

export interface RenovationTable {
  enterprise_id: string;
  provider_id: string | null;
  contract_no: string;
  contract_signed_on: string;
  updated_at: number;
}

export interface InvestmentItemTable {
  enterprise_id: string;
  line: number;
  category: string;
  description: string;
  amount: string;
}

export interface AssignmentTable {
  enterprise_id: string;
  assessor_id: string;
  assigned_at: number;
}

export interface AssessmentRecordTable {
  assessment_id: string;
  version: number;
  enterprise_id: string;
  stage: string;
  validated: number;
  /** The record's JSON text; `sha256` is its hash, named by the next version. */
  body: string;
  sha256: string;
}

export interface AttachmentTable {
  sha256: string;
  size: number;
  media_type: string;
  content: Buffer;
  created_at: number;
}

export interface ApplicationTable {
  id: string;
  enterprise_id: string;
  measure: string;
  assessment_before: string;
  assessment_after: string;
  /** JSON text: the facts the applicant declares that the file does not hold. */
  declared: string;
  batch: number | null;
  state: string;
  submitted_by: string;
  submitted_at: number;
  updated_at: number;
}

export interface VerificationTable {
  id: string;
  application_id: string;
  at: number;
  by: string;
  clean: number;
  eligible: number;
  amount: string;
  body: string;
}

export interface DecisionTable {
  application_id: string;
  seq: number;
  step: string;
  outcome: string;
  reason: string;
  officer_id: string;
  verification_id: string;
  at: number;
}

export interface SamplingDrawTable {
  id: string;
  batch: number;
  region: string;
  seed: string;
  size: number;
  candidates: string;
  picked: string;
  drawn_by: string;
  drawn_at: number;
}

export interface Schema {
  accounts: AccountTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  rate_limits: RateLimitTable;
  audit_head: AuditHeadTable;
  audit_log: AuditLogTable;
  enterprises: EnterpriseTable;
  equipment: EquipmentTable;
  gateways: GatewayTable;
  attestations: AttestationTable;
  renovations: RenovationTable;
  investment_items: InvestmentItemTable;
  assessor_assignments: AssignmentTable;
  assessment_records: AssessmentRecordTable;
  attachments: AttachmentTable;
  applications: ApplicationTable;
  verifications: VerificationTable;
  decisions: DecisionTable;
  sampling_draws: SamplingDrawTable;
}
