/**
 * Matches a sample's subject against a subscription pattern (docs/stream-protocol.md): levels
 * split by dots, `*` is exactly one level, a trailing `**` one or more. The Worker's own matcher
 * (workers/src/services/streams/subject-match.ts) also validates with zod; this one stays tiny
 * because it only fans out samples the server already matched.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  const rest = p[p.length - 1] === '**';
  const levels = rest ? p.slice(0, -1) : p;
  if (rest ? s.length <= levels.length : s.length !== levels.length) return false;
  return levels.every((level, i) => level === '*' || level === s[i]);
}
