import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_DOC, currentOpenApi, permissionsTable, withTable } from '../../scripts/docs/permissions-table.ts';

describe('docs/api.md', () => {
  it('holds the permission table generated from the code (npm run docs:permissions rewrites it)', async () => {
    const markdown = readFileSync(API_DOC, 'utf8');
    expect(await withTable(markdown, permissionsTable(currentOpenApi()))).toBe(markdown);
  });
});
