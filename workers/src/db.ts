import { type SQL, sql } from 'drizzle-orm';
import { SQLiteAsyncDialect, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { drizzle } from 'drizzle-orm/d1';
import * as schema from '../../schema/index.ts';

/** A drizzle handle on the D1 binding. Cheap: make one per request or per alarm. */
export function db(d1: D1Database) {
  return drizzle(d1, { schema });
}
export type Db = ReturnType<typeof db>;
export { schema };

const dialect = new SQLiteAsyncDialect();

/**
 * A D1 statement from drizzle's `sql` template, for raw statements that go into `d1.batch()`
 * beside others (one transaction). Table and column references in the template keep a renamed
 * column a type error.
 */
export function statement(d1: D1Database, query: SQL): D1PreparedStatement {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return d1.prepare(text).bind(...params);
}

/** A column's bare name, for places SQL wants it unqualified (insert lists, aliased tables). */
export const bare = (c: SQLiteColumn) => sql.identifier(c.name);
