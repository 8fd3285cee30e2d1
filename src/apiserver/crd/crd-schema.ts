// The structural schema of a CustomResourceDefinition object itself. It types every field so
// that validation can read a CRD safely, and it serves as the schema of the built-in
// customresourcedefinitions resource (for pruning unknown fields). A version's openAPIV3Schema is
// free-form here; its keywords are checked by the schema validation.
import type { JSONSchemaProps } from '../../api/schema.ts';

const str: JSONSchemaProps = { type: 'string' };
const bool: JSONSchemaProps = { type: 'boolean' };
const strings: JSONSchemaProps = { type: 'array', items: str };
const freeForm: JSONSchemaProps = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

const names: JSONSchemaProps = {
  type: 'object',
  properties: { plural: str, singular: str, kind: str, listKind: str, shortNames: strings, categories: strings },
};

const version: JSONSchemaProps = {
  type: 'object',
  properties: {
    name: str, served: bool, storage: bool, deprecated: bool, deprecationWarning: str,
    schema: { type: 'object', properties: { openAPIV3Schema: { 'x-kubernetes-preserve-unknown-fields': true } } },
    subresources: {
      type: 'object',
      properties: {
        status: freeForm,
        scale: { type: 'object', properties: { specReplicasPath: str, statusReplicasPath: str, labelSelectorPath: str } },
      },
    },
    additionalPrinterColumns: {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: str, type: str, format: str, description: str, priority: { type: 'integer', format: 'int32' }, jsonPath: str },
      },
    },
    selectableFields: { type: 'array', items: { type: 'object', properties: { jsonPath: str } } },
  },
};

export const CUSTOM_RESOURCE_DEFINITION_SCHEMA: JSONSchemaProps = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: {
        group: str,
        names,
        scope: str,
        versions: { type: 'array', items: version },
        conversion: {
          type: 'object',
          properties: {
            strategy: str,
            webhook: {
              type: 'object',
              properties: { clientConfig: freeForm, conversionReviewVersions: strings },
            },
          },
        },
        preserveUnknownFields: bool,
      },
    },
    status: {
      type: 'object',
      properties: {
        conditions: {
          type: 'array',
          items: {
            type: 'object',
            properties: { type: str, status: str, lastTransitionTime: str, reason: str, message: str, observedGeneration: { type: 'integer' } },
          },
        },
        acceptedNames: names,
        storedVersions: strings,
      },
    },
  },
};
