// authentication.k8s.io/v1: SelfSubjectReview, who the server takes the current user to be
// (kubectl auth whoami), and TokenReview, whom a bearer token belongs to (how servers delegate
// authentication to the API server, as a kubelet does). Answered per request and never stored.
import { Type, type Static } from '@sinclair/typebox';
import { boolean, describe, list, mapOf, object, string } from './fields.ts';
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

export const TokenReviewSchema = kindSchema('Asks whom a bearer token authenticates (how servers delegate authentication to the API server).', {
  spec: describe(object('The token asked about.', {
    token: string('The bearer token.'),
    audiences: list(Type.String(), 'Audiences the asker accepts; the token must be meant for one of them. The API server\'s own when empty.'),
  }), 'The token asked about.'),
  status: describe(object('Filled in by the server.', {
    authenticated: boolean('Whether the token authenticates a user.'),
    user: describe(UserInfoSchema, 'The user the token authenticates.'),
    audiences: list(Type.String(), 'The audiences the token is valid for, among those asked.'),
    error: string('Why the token was not accepted.'),
  }), 'Filled in by the server.'),
}, ['spec']);
export type TokenReview = Static<typeof TokenReviewSchema>;
