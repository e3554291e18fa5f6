import fc from 'fast-check';

/** fast-check arbitraries for the JSON Schema subset zod's `toJSONSchema` emits (draft 2020-12). */

export type JsonSchema = { [key: string]: unknown };

const MAX_DEPTH = 4;

/** Values the schema accepts. */
export function valueOf(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (alternatives) return fc.oneof(...alternatives.map((s) => valueOf(s, depth + 1)));
  const type = Array.isArray(schema.type) ? (schema.type as string[])[0] : (schema.type as string | undefined);
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: bound(schema, 'minimum', -1e6), max: bound(schema, 'maximum', 1e6) });
    case 'number':
      return fc.double({
        min: bound(schema, 'minimum', -1e6),
        max: bound(schema, 'maximum', 1e6),
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'string':
      return stringOf(schema);
    case 'array': {
      // A tuple (zod's z.tuple): one value per position.
      if (Array.isArray(schema.prefixItems)) {
        return fc.tuple(...(schema.prefixItems as JsonSchema[]).map((s) => valueOf(s, depth + 1)));
      }
      const items = (schema.items ?? {}) as JsonSchema;
      const minLength = (schema.minItems as number | undefined) ?? 0;
      const maxLength = Math.min((schema.maxItems as number | undefined) ?? 3, minLength + 3);
      return fc.array(valueOf(items, depth + 1), { minLength, maxLength });
    }
    case 'object':
      return objectOf(schema, depth);
    default:
      return fc.constant('x');
  }
}

function bound(schema: JsonSchema, key: 'minimum' | 'maximum', fallback: number): number {
  const exclusive = schema[key === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'];
  if (typeof exclusive === 'number') return key === 'minimum' ? exclusive + 1 : exclusive - 1;
  const v = schema[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  return Math.max(Math.min(v, Number.MAX_SAFE_INTEGER), -Number.MAX_SAFE_INTEGER);
}

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  const min = (schema.minLength as number | undefined) ?? 0;
  const max = (schema.maxLength as number | undefined) ?? 40;
  const fits = (s: string) => s.length >= min && s.length <= max;
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  if (schema.format === 'email') return fc.emailAddress().filter(fits);
  return fc.string({ minLength: min, maxLength: Math.min(max, min + 40) });
}

function objectOf(schema: JsonSchema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  if (Object.keys(properties).length === 0 && typeof schema.additionalProperties === 'object') {
    if (depth >= MAX_DEPTH) return fc.constant({});
    const key = schema.propertyNames
      ? valueOf(schema.propertyNames as JsonSchema).map(String)
      : fc.string({ maxLength: 8 });
    return fc.dictionary(key, valueOf(schema.additionalProperties as JsonSchema, depth + 1), { maxKeys: 3 });
  }
  const entries = Object.entries(properties).filter(([name]) => depth < MAX_DEPTH || required.has(name));
  return fc.record(Object.fromEntries(entries.map(([name, s]) => [name, valueOf(s, depth + 1)])), {
    requiredKeys: [...required].filter((name) => name in properties),
  });
}

/** Values that are often, not always, outside the schema: the mutated inputs. */
export function mutantOf(schema: JsonSchema): fc.Arbitrary<unknown> {
  return fc.oneof(
    valueOf(schema),
    fc.string({ maxLength: 20 }),
    fc.constantFrom('', ' ', '-1', '0', '1e309', 'null', '%', '..', '*', '**', 'x'.repeat(600)),
    fc.integer(),
    fc.constant(null),
    fc.jsonValue({ maxDepth: 2 }),
  );
}
