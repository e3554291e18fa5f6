import { rulesForDevice } from '../../services/alerts/scope.ts';
import { watchesSeries, type ActiveRule } from '../../services/alerts/rules.ts';
import { log } from '../../services/log.ts';
import { settings } from '../../settings.ts';
import type { DeviceIdentity } from './identity.ts';
import { getMeta, setMeta } from './store.ts';

/** The rules that cover this device, with the device's site and tags, as loaded from D1 at `loadedAt`. */
export interface RuleSet {
  loadedAt: number;
  device: { siteId: string | null; tags: string[] };
  rules: ActiveRule[];
}

const META_KEY = 'alertRules';

/**
 * The DeviceHub's cache of its alert rules: in memory for the batch path, in its SQLite so an
 * evicted object need not ask D1 again, reloaded when a rule changes (`reload`, called through
 * `DeviceHub.rulesChanged`) and, as a backstop for changes nobody announced (a device's tags or
 * site), once it is older than ALERT_RULES_TTL_SECONDS. A stale set keeps serving while the
 * reload runs, so ingest waits on D1 only when the object knows no rules at all.
 */
export class AlertRuleCache {
  private set: RuleSet | undefined;
  private byId = new Map<string, ActiveRule>();
  private bySeries = new Map<string, ActiveRule[]>();
  private refreshing: Promise<boolean> | undefined;

  private readonly env: Env;
  private readonly sql: SqlStorage;
  /** Called after a (re)load replaced the set, to reconcile alert states with it. */
  private readonly onLoad: (set: RuleSet) => void;

  constructor(env: Env, sql: SqlStorage, onLoad: (set: RuleSet) => void) {
    this.env = env;
    this.sql = sql;
    this.onLoad = onLoad;
  }

  current(): RuleSet | undefined {
    this.set ??= this.adopt(getMeta<RuleSet>(this.sql, META_KEY));
    return this.set;
  }

  /** Rules at hand for `now`: awaits D1 only when none are known; refreshes a stale set behind the caller. */
  async ensure(identity: DeviceIdentity, now: number): Promise<RuleSet | undefined> {
    const set = this.current();
    if (!set) {
      await this.reload(identity);
      return this.set;
    }
    if (now - set.loadedAt > settings(this.env).ALERT_RULES_TTL_SECONDS * 1000) void this.reload(identity);
    return set;
  }

  /** Loads the rules from D1 (one round trip; concurrent callers share it). False when D1 failed. */
  reload(identity: DeviceIdentity): Promise<boolean> {
    this.refreshing ??= this.load(identity).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  rule(id: string): ActiveRule | undefined {
    return this.byId.get(id);
  }

  /** The series-level rules watching one series (memoised per series until the rules change). */
  forSeries(seriesId: string, metric: string, labels: Record<string, string>): ActiveRule[] {
    let rules = this.bySeries.get(seriesId);
    if (!rules) {
      rules = (this.set?.rules ?? []).filter((r) => watchesSeries(r, metric, labels));
      this.bySeries.set(seriesId, rules);
    }
    return rules;
  }

  ofKind(kind: ActiveRule['condition']['kind']): ActiveRule[] {
    return (this.set?.rules ?? []).filter((r) => r.condition.kind === kind);
  }

  /** Forgets everything (the object's storage was wiped). */
  clear(): void {
    this.adopt(undefined);
  }

  private async load(identity: DeviceIdentity): Promise<boolean> {
    try {
      const loaded = await rulesForDevice(this.env.DB, identity.orgId, identity.deviceId);
      const set: RuleSet = {
        loadedAt: Date.now(),
        device: loaded.device ?? { siteId: identity.siteId, tags: [] },
        rules: loaded.rules,
      };
      setMeta(this.sql, META_KEY, set);
      this.adopt(set);
      this.onLoad(set);
      return true;
    } catch (err) {
      log.warn('alert rules not loaded', { deviceId: identity.deviceId, error: String(err) });
      return false;
    }
  }

  private adopt(set: RuleSet | undefined): RuleSet | undefined {
    this.set = set;
    this.byId = new Map((set?.rules ?? []).map((r) => [r.id, r]));
    this.bySeries.clear();
    return set;
  }
}
