// The OpenAPI documents of the served resources, built on first request after the catalogue
// changes (a CRD established, changed or deleted) and kept until the next change. A
// group-version's v3 document is rebuilt only when its own resources changed, so its hash (and
// every client's cached copy) survives changes elsewhere; the v2 document covers everything and
// is rebuilt as a whole, its protobuf form only once someone asks for it.
import type { ResourceDefinition } from '../../api/resources.ts';
import type { OpenApiDocuments } from '../http/handler.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';
import { contentHash } from './hash.ts';
import type { OpenApiInfo } from './model.ts';
import { encodeOpenApiV2Protobuf } from './protobuf.ts';
import { buildOpenApiV2, type OpenApiV2Document } from './v2.ts';
import { buildGroupVersionDocument, buildIndex, groupVersionPath, type OpenApiV3Document } from './v3.ts';

interface V2Entry {
  generation: number;
  json: { body: string; etag: string };
  /** Kept until the protobuf form is made from it. */
  doc?: OpenApiV2Document;
  protobuf?: { body: Buffer; etag: string };
}

interface V3Entry {
  generation: number;
  index: string;
  documents: Map<string, { resources: ResourceDefinition[]; document: OpenApiV3Document }>;
}

export class OpenApiCache implements OpenApiDocuments {
  private readonly catalog: ResourceCatalog;
  private readonly info: OpenApiInfo;
  private v2?: V2Entry;
  private v3?: V3Entry;

  /** `kubernetesVersion` is what the documents' info.version reports, e.g. v1.33.0. */
  constructor(catalog: ResourceCatalog, kubernetesVersion: string) {
    this.catalog = catalog;
    this.info = { version: kubernetesVersion };
  }

  v2Json(): { body: string; etag: string } {
    return this.currentV2().json;
  }

  v2Protobuf(): { body: Buffer; etag: string } {
    const entry = this.currentV2();
    if (!entry.protobuf) {
      const body = Buffer.from(encodeOpenApiV2Protobuf(entry.doc!));
      entry.protobuf = { body, etag: contentHash(body) };
      entry.doc = undefined;
    }
    return entry.protobuf;
  }

  v3Index(): string {
    return this.currentV3().index;
  }

  /** `path` is "api/v1" or "apis/<group>/<version>"; undefined when nothing is served there. */
  v3Document(path: string): { body: string; etag: string } | undefined {
    const found = this.currentV3().documents.get(path);
    return found && { body: found.document.body, etag: found.document.hash };
  }

  private currentV2(): V2Entry {
    const generation = this.catalog.version();
    if (this.v2?.generation !== generation) {
      const doc = buildOpenApiV2(this.servedResources(), this.info);
      const body = JSON.stringify(doc);
      this.v2 = { generation, json: { body, etag: contentHash(body) }, doc };
    }
    return this.v2;
  }

  private currentV3(): V3Entry {
    const generation = this.catalog.version();
    if (this.v3?.generation === generation) return this.v3;
    const grouped = new Map<string, ResourceDefinition[]>();
    for (const r of this.servedResources()) {
      const key = groupVersionPath(r.group, r.version);
      grouped.set(key, [...(grouped.get(key) ?? []), r]);
    }
    const documents: V3Entry['documents'] = new Map();
    for (const [key, resources] of grouped) {
      const previous = this.v3?.documents.get(key);
      const unchanged = previous && sameMembers(previous.resources, resources);
      documents.set(key, unchanged ? previous : { resources, document: buildGroupVersionDocument(resources, this.info) });
    }
    const index = JSON.stringify(buildIndex(new Map([...documents].map(([key, entry]) => [key, entry.document]))));
    this.v3 = { generation, index, documents };
    return this.v3;
  }

  /** In a stable order, so that an unchanged set of resources gives byte-identical documents. */
  private servedResources(): ResourceDefinition[] {
    return this.catalog.all().sort((a, b) => compare(a.group, b.group) || compare(a.version, b.version) || compare(a.plural, b.plural));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameMembers(a: readonly ResourceDefinition[], b: readonly ResourceDefinition[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}
