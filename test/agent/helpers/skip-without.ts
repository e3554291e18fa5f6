/**
 * For `it.skipIf` on an optional host tool (shellcheck, systemd-analyze): skips
 * on a developer machine that lacks it, but never in CI, where `.ci/run` installs every tool
 * and a missing one must fail the run instead of hiding the test.
 */
export const skipWithout = (present: boolean): boolean => !present && process.env.CI !== 'true';
