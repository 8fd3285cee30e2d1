// RBAC objects: names are path segments (they may hold colons, e.g. system:node), and a binding's
// roleRef cannot change once made, as in Kubernetes — to grant another role, bind it anew, so no
// update silently widens what the existing subjects hold.
import type { StatusCause } from '../../../api/meta.ts';
import type { RoleRef } from '../../../api/kinds/rbac.ts';
import { fieldCause } from '../../errors.ts';
import type { Strategy } from '../strategy.ts';

export const roleStrategy: Strategy = { nameRule: 'path-segment' };

export const bindingStrategy: Strategy = {
  nameRule: 'path-segment',
  validateUpdate(obj, old): StatusCause[] {
    const next = (obj as { roleRef?: RoleRef }).roleRef;
    const prev = (old as { roleRef?: RoleRef }).roleRef;
    if (next?.apiGroup === prev?.apiGroup && next?.kind === prev?.kind && next?.name === prev?.name) return [];
    // Kubernetes prints the new value as its Go struct.
    const shown = `rbac.RoleRef{APIGroup:${JSON.stringify(next?.apiGroup ?? '')}, Kind:${JSON.stringify(next?.kind ?? '')}, Name:${JSON.stringify(next?.name ?? '')}}`;
    return [fieldCause('FieldValueInvalid', 'roleRef', `Invalid value: ${shown}: cannot change roleRef`)];
  },
};
