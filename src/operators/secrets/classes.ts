// The SecretClass controller: makes each class's CA when the platform owns it, and publishes in
// the class's status the CA certificates its holders trust (what agents write as ca.crt and the
// truststore) and which CA signs now; Ready says whether certificates can be issued.
import type { Condition } from '../../api/meta.ts';
import type { KubeClient } from '../../client/client.ts';
import type { Logger } from '../../common/log.ts';
import { setCondition } from '../../runtime/conditions.ts';
import type { SharedCache } from '../../runtime/cache.ts';
import { Controller, type Action } from '../../runtime/controller.ts';
import { SECRET_CLASS_API_VERSION, type SecretClass } from '../../runtime/secret-class.ts';
import type { ClassCaStore } from './ca.ts';
import { SIGNER_MANAGER } from './signer.ts';

/** How often a class's CA Secret is read again (a user may replace or extend it). */
const RESYNC_MS = 30_000;

export function secretClassController({ client, cache, log, cas }: { client: KubeClient; cache?: SharedCache; log: Logger; cas: ClassCaStore }): Controller<SecretClass> {
  const classes = client.resource<SecretClass>(SECRET_CLASS_API_VERSION, 'SecretClass');
  return new Controller<SecretClass>({
    name: 'secretclass', client, cache, log, apiVersion: SECRET_CLASS_API_VERSION, kind: 'SecretClass',
    reconcile: async (secretClass): Promise<Action> => {
      const ca = await cas.get(secretClass);
      const ready = ca.ok
        ? { type: 'Ready', status: true, reason: 'CAReady', message: `certificates are signed by ${ca.value.ca.certificate.subject}, valid until ${ca.value.ca.certificate.notAfter.toISOString()}` }
        : { type: 'Ready', status: false, reason: ca.reason, message: ca.message };
      const conditions = setCondition(secretClass.status?.conditions as Condition[] | undefined, { ...ready, observedGeneration: secretClass.metadata.generation });
      const status = { ...secretClass.status, conditions, ...(ca.ok ? { trustBundle: ca.value.trustBundle, issuer: ca.value.issuer } : {}) };
      if (JSON.stringify(status) !== JSON.stringify(secretClass.status)) {
        await classes.apply({ metadata: { name: secretClass.metadata.name }, status } as SecretClass, { fieldManager: SIGNER_MANAGER, force: true, subresource: 'status' });
      }
      return { requeueAfterMs: RESYNC_MS };
    },
  });
}
