import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';

/** Placeholder: filled in by the alerts issue (12). */
export const alertRulesRoutes = new Hono<AppEnv>();
