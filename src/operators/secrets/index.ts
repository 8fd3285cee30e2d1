// The secrets operator: the platform's certificate authority for pods. It serves SecretClasses
// (making the default class `tls`, with a CA of the cluster's own, when it is missing) and signs
// the CertificateSigningRequests node agents make for their pods' secrets.granary.dev volumes.
import { isAlreadyExists } from '../../client/errors.ts';
import type { Operator } from '../index.ts';
import { DEFAULT_SECRET_CLASS_OBJECT, SECRET_CLASS_API_VERSION, SECRET_CLASS_CRD, type SecretClass } from '../../runtime/secret-class.ts';
import { ClassCaStore } from './ca.ts';
import { secretClassController } from './classes.ts';
import { signerController } from './signer.ts';

export const secretsOperator: Operator = {
  name: 'secrets',
  crds: [SECRET_CLASS_CRD],
  async run(client, log, signal, context) {
    try {
      await client.resource<SecretClass>(SECRET_CLASS_API_VERSION, 'SecretClass').create(DEFAULT_SECRET_CLASS_OBJECT);
      log.info({ secretClass: DEFAULT_SECRET_CLASS_OBJECT.metadata.name }, 'created the default SecretClass');
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const cas = new ClassCaStore(client.resource('v1', 'Secret'));
    await Promise.all([
      secretClassController({ client, cache: context?.cache, log: log.child({ controller: 'secretclass' }), cas }).run(signal),
      signerController({ client, cache: context?.cache, log: log.child({ controller: 'secrets-signer' }), cas }).run(signal),
    ]);
  },
};
