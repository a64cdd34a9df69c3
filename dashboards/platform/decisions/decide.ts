/**
 * The decision on an application: 初审 (first review) then 复审 (second review), by two different
 * officers of the enterprise's region, each with a reason. The state machine:
 *
 *   submitted      --初审 approve--> first-approved   --复审 approve--> approved
 *   submitted      --初审 reject --> rejected          first-approved --复审 reject--> rejected
 *   submitted      --初审 return --> returned          first-approved --复审 return--> returned
 *   returned       --resubmitted by the applicant--> submitted (a new round)
 *
 * A decision rests on the latest verification computed after the (re)submission; an approval needs
 * an eligible payout and clean data; the 复审 must see the same verification the 初审 saw.
 */
import { actorOf, type Principal, requireGrant } from '../accounts/roles.ts';
import {
  applicationInScope,
  currentRound,
  decisionsOf,
  getApplication,
  latestVerification,
} from '../applications/repository.ts';
import type {
  ApplicationState,
  ApplicationView,
  DecisionInput,
  DecisionView,
} from '../applications/schemas.ts';
import { appendAudit } from '../audit/log.ts';
import type { Db } from '../db/connect.ts';
import { PlatformError } from '../errors.ts';

const STEP_OF: Partial<Record<ApplicationState, DecisionView['step']>> = {
  submitted: 'first',
  'first-approved': 'second',
};

const NEXT: Record<DecisionView['step'], Record<DecisionInput['outcome'], ApplicationState>> = {
  first: { approve: 'first-approved', reject: 'rejected', return: 'returned' },
  second: { approve: 'approved', reject: 'rejected', return: 'returned' },
};

const STEP_NAMES = { first: '初审', second: '复审' } as const;

export async function decide(
  db: Db,
  principal: Principal,
  applicationId: string,
  step: DecisionView['step'],
  input: DecisionInput,
  now = Date.now(),
): Promise<ApplicationView> {
  return db.transaction().execute(async (trx) => {
    const { row } = await applicationInScope(trx, principal, applicationId);
    requireGrant(principal, 'application.decide');
    // Locks the application's row: two officers deciding at once take turns.
    await trx.updateTable('applications').set({ updated_at: now }).where('id', '=', applicationId).execute();
    const state = row.state as ApplicationState;
    if (STEP_OF[state] !== step)
      throw new PlatformError(
        'WRONG_STATE',
        `application ${applicationId} is ${state}: ${STEP_NAMES[step]} is not its next step${STEP_OF[state] ? ` (${STEP_NAMES[STEP_OF[state]]} is)` : ''}`,
      );
    const verification = await latestVerification(trx, applicationId);
    if (!verification || verification.at < row.submitted_at)
      throw new PlatformError(
        'NOT_VERIFIED',
        `application ${applicationId} has no verification of its current submission: compute one first (POST /api/v1/applications/${applicationId}/verifications)`,
      );
    const all = await decisionsOf(trx, applicationId);
    const round = currentRound(all);
    if (step === 'second') {
      const first = round.find((d) => d.step === 'first');
      if (first?.officer === principal.name)
        throw new PlatformError(
          'SAME_OFFICER',
          `${principal.name} made the 初审 of application ${applicationId}; the 复审 needs another officer`,
        );
      if (first?.verification !== verification.id)
        throw new PlatformError(
          'VERIFICATION_CHANGED',
          `the 初审 decided on verification ${first?.verification}, the latest is ${verification.id}: return the application for a new 初审`,
        );
    }
    if (input.outcome === 'approve' && !(verification.eligible === 1 && verification.clean === 1))
      throw new PlatformError(
        'NOT_PAYABLE',
        `verification ${verification.id}: ${verification.eligible === 1 ? '' : 'the payout is not eligible; '}${verification.clean === 1 ? '' : 'the data integrity is not clean; '}reject or return the application with the reason`,
      );
    const before = { state, decisions: all };
    const next = NEXT[step][input.outcome];
    await trx
      .insertInto('decisions')
      .values({
        application_id: applicationId,
        seq: all.length + 1,
        step,
        outcome: input.outcome,
        reason: input.reason,
        officer_id: principal.id,
        verification_id: verification.id,
        at: now,
      })
      .execute();
    await trx.updateTable('applications').set({ state: next }).where('id', '=', applicationId).execute();
    const decision: DecisionView = {
      step,
      outcome: input.outcome,
      reason: input.reason,
      officer: principal.name,
      verification: verification.id,
      at: now,
    };
    await appendAudit(
      trx,
      {
        actor: actorOf(principal),
        action: `application.${step}-review`,
        entity: 'application',
        entityId: applicationId,
        before,
        after: { state: next, decision },
      },
      now,
    );
    return getApplication(trx, principal, applicationId);
  });
}
