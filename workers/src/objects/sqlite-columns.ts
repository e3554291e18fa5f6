/**
 * Adds a column to a Durable Object's table created before the column existed, and says whether
 * it did (the caller may then fill it). A column added with a constant default costs SQLite no
 * rewrite of the rows, so an object upgrades in place the first time its code runs.
 */
export function addColumnIfMissing(sql: SqlStorage, table: string, column: string, definition: string): boolean {
  const columns = sql.exec<{ name: string }>('SELECT name FROM pragma_table_info(?)', table).toArray();
  if (columns.some((c) => c.name === column)) return false;
  sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
  return true;
}
