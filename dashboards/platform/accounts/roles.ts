/**
 * Who may do what. A role grants actions; the scope of the objects a principal sees (its region, its
 * enterprise, the enterprises it renovates or assesses) is applied in the repositories (scope.ts).
 */
import { PlatformError } from '../errors.ts';

/** 企业, 服务商, 评测机构, 主管部门, 管理员. */
export const ROLES = ['enterprise', 'provider', 'assessor', 'officer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** An authenticated account, as every repository call receives it first. */
export interface Principal {
  id: string;
  name: string;
  role: Role;
  /** Officers: the GB/T 2260 prefix of the region they answer for. */
  region: string | null;
  /** Enterprise accounts: the enterprise they speak for. */
  enterpriseId: string | null;
  /** An operator at the service's machine (`shugai central register`), acting as admin. */
  operator?: true;
}

/** The operator running a command on the service's machine: an admin, audited as `cli:<user>`. */
export const operator = (user: string): Principal => ({
  id: `cli:${user}`,
  name: user,
  role: 'admin',
  region: null,
  enterpriseId: null,
  operator: true,
});

const GRANTS = {
  'accounts.manage': ['admin'],
  'enterprise.create': ['officer', 'admin'],
  'enterprise.update': ['officer', 'admin'],
  'register.write': ['enterprise', 'provider', 'officer'],
  'gateway.register': ['provider', 'officer', 'admin'],
  'renovation.write': ['provider', 'officer', 'admin'],
  'assessor.assign': ['officer', 'admin'],
  'assessment.self': ['enterprise'],
  'assessment.onsite': ['assessor'],
  'assessment.validate': ['assessor'],
  'assessment.attach': ['enterprise', 'assessor'],
  'gateway.store': ['provider', 'officer', 'admin'],
  'application.submit': ['enterprise', 'provider'],
  'application.verify': ['officer'],
  'application.decide': ['officer'],
  'payouts.export': ['officer', 'admin'],
  'sampling.draw': ['officer'],
} as const satisfies Record<string, readonly Role[]>;
export type Action = keyof typeof GRANTS;

export function may(principal: Principal, action: Action): boolean {
  return (GRANTS[action] as readonly Role[]).includes(principal.role);
}

/** Throws FORBIDDEN unless the principal's role grants the action. */
export function requireGrant(principal: Principal, action: Action): void {
  if (!may(principal, action))
    throw new PlatformError(
      'FORBIDDEN',
      `${action} is not allowed to ${principal.role} accounts (allowed: ${GRANTS[action].join(', ')})`,
    );
}

export const actorOf = (principal: Principal) =>
  principal.operator ? `cli:${principal.name}` : `account:${principal.name}`;
