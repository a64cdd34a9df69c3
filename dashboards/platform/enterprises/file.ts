/**
 * The enterprise file (一企一档) in one answer: the facts, the equipment register, the gateways, the
 * renovation, the assessors and every version of the assessments. (Applications, verifications,
 * decisions and payouts join it with the application phase.)
 */
import { z } from 'zod';
import type { Principal } from '../accounts/roles.ts';
import { listAssessments } from '../assessments/repository.ts';
import { recordSummary } from '../assessments/schemas.ts';
import type { Executor } from '../db/connect.ts';
import { listAssessors } from './assessors.ts';
import { listGateways } from './gateways.ts';
import { registerOf } from './register.ts';
import { renovationOf } from './renovation.ts';
import { getEnterprise } from './repository.ts';
import { enterpriseView, gatewayView, registerEntry, renovationView } from './schemas.ts';

export const enterpriseFile = z.strictObject({
  enterprise: enterpriseView,
  register: registerEntry.array(),
  gateways: gatewayView.array(),
  renovation: renovationView.nullable(),
  assessors: z.array(z.string()),
  assessments: recordSummary.array(),
});
export type EnterpriseFile = z.infer<typeof enterpriseFile>;

export async function getEnterpriseFile(
  db: Executor,
  principal: Principal,
  id: string,
): Promise<EnterpriseFile> {
  // The scope is checked here first; the unscoped readers below run only after it.
  const enterprise = await getEnterprise(db, principal, id);
  return {
    enterprise,
    register: await registerOf(db, id),
    gateways: await listGateways(db, principal, id),
    renovation: await renovationOf(db, id),
    assessors: await listAssessors(db, principal, id),
    assessments: await listAssessments(db, principal, id),
  };
}
