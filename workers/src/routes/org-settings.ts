import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';

/** Placeholder router (issue 5): filled in by the helper that owns this file. */
export const orgSettingsRoutes = new Hono<AppEnv>();
