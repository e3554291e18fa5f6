import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';

/** Liveness. `/health/deep` (D1, Durable Object, Queue) arrives with the API issue. */
export const healthRoutes = new Hono<AppEnv>().get('/', (c) => c.json({ status: 'ok', time: Date.now() }));
