/** The parts of the OpenAPI 3.1 document (GET /v1/openapi.json) the reference page shows. */
export interface ApiDocument {
  info: { title: string; version: string; description?: string };
  tags?: { name: string }[];
  paths: Record<string, Record<string, ApiOperation>>;
}

export interface ApiParameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema?: Record<string, unknown>;
  example?: unknown;
}

export interface ApiMedia {
  schema?: Record<string, unknown>;
  example?: unknown;
}

export interface ApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  security?: Record<string, unknown>[];
  'x-required-scope'?: string;
  parameters?: ApiParameter[];
  requestBody?: { content: Record<string, ApiMedia> };
  responses: Record<string, { description: string; content?: Record<string, ApiMedia> }>;
}

/** One operation with where it lives. */
export interface Entry {
  method: string;
  path: string;
  op: ApiOperation;
}

/** Operations grouped by their first tag, tags in the document's order. */
export function byTag(doc: ApiDocument): Map<string, Entry[]> {
  const groups = new Map<string, Entry[]>((doc.tags ?? []).map((t) => [t.name, []]));
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = op.tags?.[0] ?? 'Other';
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag)!.push({ method: method.toUpperCase(), path, op });
    }
  }
  for (const [tag, entries] of groups) if (entries.length === 0) groups.delete(tag);
  return groups;
}
