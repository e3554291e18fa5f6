import { settings } from '../../settings.ts';
import { count, gauge } from './meter.ts';

/**
 * With `METER = "true"`, the bindings a capacity model needs to count, wrapped: D1 (round
 * trips, statements, rows and the database's own milliseconds from each result's `meta`) and
 * the Durable Object namespaces (calls by class and method) and the alert queue (messages sent). `who` names the caller (worker,
 * cron, queue, DeviceHub, MqttSession), so a cost lands on the part that pays it. Off, the
 * env is returned as it came: nothing is wrapped and nothing counted.
 */
export function metered(env: Env, who: string): Env {
  if (!meterOn(env)) return env;
  let byWho = cache.get(env);
  if (!byWho) cache.set(env, (byWho = new Map()));
  let wrapped = byWho.get(who);
  if (!wrapped) byWho.set(who, (wrapped = wrap(env, who)));
  return wrapped;
}

export const meterOn = (env: Env) => settings(env).METER === 'true';

/** An object's alarm, which no stub call announces. */
export function countAlarm(env: Env, cls: string): void {
  if (meterOn(env)) count(`do.alarms.${cls}`);
}

const cache = new WeakMap<Env, Map<string, Env>>();

function wrap(env: Env, who: string): Env {
  // The prototype keeps every other binding and var readable as before.
  return Object.create(env, {
    DB: { value: meteredD1(env.DB, who), enumerable: true },
    DEVICE_HUB: { value: meteredNamespace(env.DEVICE_HUB, 'DeviceHub', who), enumerable: true },
    CHANNEL_HUB: { value: meteredNamespace(env.CHANNEL_HUB, 'ChannelHub', who), enumerable: true },
    MQTT_SESSION: { value: meteredNamespace(env.MQTT_SESSION, 'MqttSession', who), enumerable: true },
    ALERTS_QUEUE: { value: meteredQueue(env.ALERTS_QUEUE, who), enumerable: true },
  }) as Env;
}

function meteredQueue<T>(queue: Queue<T>, who: string): Queue<T> {
  return new Proxy(queue, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === 'send') count(`queue.sent.${who}`);
        if (prop === 'sendBatch') count(`queue.sent.${who}`, (args[0] as unknown[]).length);
        return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}

interface Meta {
  duration?: number;
  rows_read?: number;
  rows_written?: number;
  size_after?: number;
}

function tally(who: string, statements: number, metas: readonly (Meta | undefined)[]): void {
  count(`d1.roundTrips.${who}`);
  count(`d1.statements.${who}`, statements);
  for (const m of metas) {
    if (!m) continue;
    count(`d1.rowsRead.${who}`, m.rows_read ?? 0);
    count(`d1.rowsWritten.${who}`, m.rows_written ?? 0);
    count(`d1.durationMs.${who}`, m.duration ?? 0);
    if (m.size_after !== undefined) gauge('d1.sizeBytes', m.size_after);
  }
}

/** Wrapped statement → the binding's own, which `batch()` needs back. */
const unwrapped = new WeakMap<object, D1PreparedStatement>();

function meteredStatement(stmt: D1PreparedStatement, who: string): D1PreparedStatement {
  const wrapped = new Proxy(stmt, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'bind') return (...args: unknown[]) => meteredStatement(target.bind(...args), who);
      if (prop === 'run' || prop === 'all' || prop === 'first' || prop === 'raw') {
        return async (...args: unknown[]) => {
          const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          // first() and raw() hand back rows without meta: the statement still counts.
          tally(who, 1, [(result as { meta?: Meta } | null)?.meta]);
          return result;
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  unwrapped.set(wrapped, stmt);
  return wrapped;
}

function meteredD1(d1: D1Database, who: string): D1Database {
  return new Proxy(d1, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => meteredStatement(target.prepare(query), who);
      if (prop === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements.map((s) => unwrapped.get(s) ?? s));
          tally(
            who,
            statements.length,
            results.map((r) => r.meta as Meta),
          );
          return results;
        };
      }
      if (prop === 'exec') {
        return async (query: string) => {
          const result = await target.exec(query);
          tally(who, result.count, []);
          return result;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function meteredNamespace<T extends Rpc.DurableObjectBranded | undefined>(
  ns: DurableObjectNamespace<T>,
  cls: string,
  who: string,
): DurableObjectNamespace<T> {
  return new Proxy(ns, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(target);
      if (prop !== 'get' && prop !== 'getByName') return bound;
      return (...args: unknown[]) => meteredStub(bound(...args) as DurableObjectStub<T>, cls, who);
    },
  });
}

/** Every method called on the stub (RPC or `fetch`) is one request to the object. */
function meteredStub<T extends Rpc.DurableObjectBranded | undefined>(
  stub: DurableObjectStub<T>,
  cls: string,
  who: string,
): DurableObjectStub<T> {
  return new Proxy(stub, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (typeof prop !== 'string' || typeof value !== 'function' || prop === 'then') return value;
      return (...args: unknown[]) => {
        count(`do.calls.${cls}.${prop}.${who}`);
        // Reflect.apply: an RPC method stub would take `.apply` for a remote method's name.
        return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}
