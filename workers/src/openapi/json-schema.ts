import * as z from 'zod/mini';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as plain data. */
export type JsonSchema = { [key: string]: unknown };

/**
 * The JSON Schema of what a caller may send (`io: 'input'`: defaults make properties optional,
 * coercions show their input type). Checks zod cannot express (refinements, transforms) are left
 * out rather than failing, and `$schema` is dropped because the document fixes the dialect.
 */
export function toJsonSchema(schema: z.core.$ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as JsonSchema;
  return rest;
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
  example?: string | number;
}

/**
 * One parameter per property of an object schema (path or query). Path parameters named in
 * the route but absent from the schema are plain strings.
 */
export function parametersOf(
  location: 'path' | 'query',
  schema: z.core.$ZodType | undefined,
  examples: Record<string, string | number> = {},
  pathNames: readonly string[] = [],
): ParameterObject[] {
  const json = schema ? toJsonSchema(schema) : {};
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  const names = [...new Set([...pathNames, ...Object.keys(properties)])];
  return names.map((name) => {
    const { description, ...propertySchema } = properties[name] ?? { type: 'string' };
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
      ...(examples[name] !== undefined ? { example: typed(examples[name], propertySchema) } : {}),
    };
  });
}

/** A query example as the parameter's schema types it: `limit: '100'` is documented as 100. */
function typed(example: string | number, schema: JsonSchema): string | number {
  const numeric = schema.type === 'integer' || schema.type === 'number';
  return numeric && typeof example === 'string' && example.trim() !== '' ? Number(example) : example;
}
