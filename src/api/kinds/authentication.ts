// authentication.k8s.io/v1 SelfSubjectReview: who the server takes the current user to be
// (kubectl auth whoami). Answered per request and never stored.
import { Type } from '@sinclair/typebox';
import { describe, list, mapOf, object, string } from './fields.ts';
import { kindSchema } from './meta.ts';

const UserInfoSchema = object('A user as authentication established it.', {
  username: string('The user name, e.g. alice or system:serviceaccount:default:builder.'),
  uid: string('A unique value identifying the user across time.'),
  groups: list(Type.String(), 'Groups the user belongs to.'),
  extra: mapOf(list(Type.String(), 'Values of one key.'), 'Further facts about the credential, e.g. the token id.'),
});

export const SelfSubjectReviewSchema = kindSchema('Reports the user the server authenticated the request as.', {
  status: describe(object('Filled in by the server.', {
    userInfo: describe(UserInfoSchema, 'The authenticated user.'),
  }), 'Filled in by the server.'),
});
