import { z } from 'zod';
import { STREAM_LIMITS } from '../../../../schema/wire/stream.ts';
import { ApiError } from '../../errors.ts';

/**
 * Subject patterns for stream subscriptions (docs/stream-protocol.md).
 * Levels are separated by dots; `*` is exactly one level, `**` one or more trailing levels.
 */

/** A pattern split once, so matching a publish against many subscriptions never re-parses. */
export interface CompiledPattern {
  readonly source: string;
  /** Levels before a trailing `**`. */
  readonly levels: readonly string[];
  /** True when the pattern ends in `**`. */
  readonly rest: boolean;
}

export type PatternCheck =
  | { ok: true; pattern: CompiledPattern }
  | { ok: false; code: 'invalid_subject' | 'forbidden_subject'; message: string };

const LEVEL = /^[A-Za-z0-9_:-]+$/;

const invalid = (message: string): PatternCheck => ({ ok: false, code: 'invalid_subject', message });

/**
 * Checks a pattern's syntax and limits and, given `orgId`, that it stays inside
 * `org.<orgId>.`; returns the compiled pattern or a typed refusal with a readable message.
 */
export function validatePattern(pattern: unknown, orgId?: string): PatternCheck {
  if (typeof pattern !== 'string' || pattern === '') return invalid('subject must be a non-empty string');
  if (pattern.length > STREAM_LIMITS.maxPatternLength) {
    return invalid(`subject must be at most ${STREAM_LIMITS.maxPatternLength} characters`);
  }
  const levels = pattern.split('.');
  if (levels.length > STREAM_LIMITS.maxPatternLevels) {
    return invalid(`subject must have at most ${STREAM_LIMITS.maxPatternLevels} levels`);
  }
  for (const [i, level] of levels.entries()) {
    if (level === '') return invalid(`subject has an empty level at position ${i + 1}`);
    if (level === '**' && i !== levels.length - 1) {
      return invalid('"**" matches the rest of a subject, so it may only be the last level');
    }
    if (level === '*' || level === '**') continue;
    if (level.includes('*')) return invalid(`"${level}": "*" and "**" must be a whole level`);
    if (level === '>') return invalid('">" is not a wildcard here: use "**" for the rest of a subject');
    if (!LEVEL.test(level)) return invalid(`"${level}": levels may only contain A-Z a-z 0-9 _ : -`);
  }
  if (orgId !== undefined) {
    const scope = `org.${orgId}`;
    if (levels[0] !== 'org' || levels[1] !== orgId) {
      return { ok: false, code: 'forbidden_subject', message: `subject must start with "${scope}."` };
    }
    if (levels.length === 2) return invalid(`"${scope}" names no stream: use "${scope}.**" for everything`);
  }
  return { ok: true, pattern: compile(pattern, levels) };
}

function compile(source: string, levels: string[]): CompiledPattern {
  const rest = levels[levels.length - 1] === '**';
  return { source, levels: rest ? levels.slice(0, -1) : levels, rest };
}

/**
 * Compiles a pattern already known to be valid (e.g. restored from a connection's
 * attachment). Throws on an invalid one, since that means stored state is corrupt.
 */
export function compilePattern(pattern: string): CompiledPattern {
  const check = validatePattern(pattern);
  if (!check.ok) throw new Error(`invalid subject pattern "${pattern}": ${check.message}`);
  return check.pattern;
}

/** Whether a concrete subject falls under a pattern (a string is compiled on the fly). */
export function matches(pattern: string | CompiledPattern, subject: string): boolean {
  const p = typeof pattern === 'string' ? compilePattern(pattern) : pattern;
  const parts = subject.split('.');
  if (p.rest ? parts.length <= p.levels.length : parts.length !== p.levels.length) return false;
  for (let i = 0; i < p.levels.length; i++) {
    const want = p.levels[i]!;
    const got = parts[i]!;
    if (got === '') return false;
    if (want !== '*' && want !== got) return false;
  }
  // `**` needs at least one more non-empty level.
  if (p.rest) {
    for (let i = p.levels.length; i < parts.length; i++) if (parts[i] === '') return false;
  }
  return true;
}

const NAMED_LEVEL = '[A-Za-z0-9_:-]+';
const PATTERN_LEVEL = `(\\*|${NAMED_LEVEL})`;
const MORE_LEVELS = STREAM_LIMITS.maxPatternLevels - 2;

/** The syntax {@link validatePattern} accepts, as a JSON Schema pattern: `**` only as the last level. */
export const SUBJECT_PATTERN_SYNTAX = `^(${PATTERN_LEVEL}(\\.${PATTERN_LEVEL}){0,${MORE_LEVELS}}(\\.(${PATTERN_LEVEL}|\\*\\*))?|\\*\\*)$`;

/** A subject pattern in a request (SSE `subject`, event query): syntax and length; the org is checked later. */
export const subjectPattern = z
  .string()
  .max(STREAM_LIMITS.maxPatternLength)
  .regex(new RegExp(SUBJECT_PATTERN_SYNTAX), 'subject: levels of [A-Za-z0-9_:-], "*", or a last "**"')
  .describe(
    'A subject pattern inside your org: `org.<your org id>.` then levels; `*` is one level, a last `**` the rest. Another org is a 403 `forbidden_subject`.',
  );

/** One concrete subject (no wildcards), e.g. where an event is published. */
export const concreteSubject = z
  .string()
  .max(STREAM_LIMITS.maxPatternLength)
  .regex(
    new RegExp(`^${NAMED_LEVEL}(\\.${NAMED_LEVEL}){0,${STREAM_LIMITS.maxPatternLevels - 1}}$`),
    'subject: levels of [A-Za-z0-9_:-], without wildcards',
  );

/**
 * The one refusal of a caller's pattern, on every route: 403 `forbidden_subject` outside the
 * caller's org (the same code the WebSocket `sub` answers), else 400 `invalid_subject`.
 */
export function subjectRefusal(check: Extract<PatternCheck, { ok: false }>): ApiError {
  return new ApiError(check.code === 'forbidden_subject' ? 403 : 400, check.code, `subject: ${check.message}`, {
    field: 'subject',
  });
}

/** A pattern inside the caller's org, or the {@link subjectRefusal}. */
export function callerPattern(subject: string, orgId: string): CompiledPattern {
  const check = validatePattern(subject, orgId);
  if (check.ok) return check.pattern;
  throw subjectRefusal(check);
}
