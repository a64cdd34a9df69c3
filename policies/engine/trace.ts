/**
 * The explanation trace: every input read, every parameter with its date and citation, every step
 * with its intermediate amount. Built lazily so a batch with traces off pays nothing for it.
 */
export interface Citation {
  document: string;
  article: string;
  quote?: string;
}

export type StepKind =
  | 'version'
  | 'condition'
  | 'once'
  | 'formula'
  | 'piece'
  | 'bracket'
  | 'subtotal'
  | 'ceiling'
  | 'difference'
  | 'addition'
  | 'rounding'
  | 'split';

export interface TraceStep {
  kind: StepKind;
  /** The step as a sentence of the 计算说明. */
  text: string;
  citation?: Citation;
}

export interface ParameterRead {
  name: string;
  value: string;
  meaning: string;
  /** 'document': a figure the document states; 'param': supplied with --param because the document leaves it open. */
  source: 'document' | 'param';
  citation: Citation;
  /** The validity of the document the figure is read from. */
  validFrom: string | null;
  validTo: string | null;
}

export interface Trace {
  measure: { id: string; title: string; article: string };
  document: { id: string; name: string; issuer: string; validFrom: string | null; validTo: string | null };
  asOf: string;
  enterprise: string;
  inputs: Record<string, unknown>;
  parameters: ParameterRead[];
  steps: TraceStep[];
  eligible: boolean;
  amount: string;
  split: Record<string, string> | null;
}

export class Recorder {
  readonly steps: TraceStep[] = [];
  readonly parameters: ParameterRead[] = [];
  readonly inputs: Record<string, unknown> = {};
  constructor(readonly on: boolean) {}

  step(make: () => TraceStep): void {
    if (this.on) this.steps.push(make());
  }

  input(field: string, value: unknown): void {
    if (this.on && value !== undefined) this.inputs[field] = value;
  }

  parameter(make: () => ParameterRead): void {
    if (!this.on) return;
    const read = make();
    if (!this.parameters.some((p) => p.name === read.name)) this.parameters.push(read);
  }
}
