import { drizzle } from 'drizzle-orm/d1';
import * as schema from '../../schema/index.ts';

/** A drizzle handle on the D1 binding. Cheap: make one per request or per alarm. */
export function db(d1: D1Database) {
  return drizzle(d1, { schema });
}
export type Db = ReturnType<typeof db>;
export { schema };
