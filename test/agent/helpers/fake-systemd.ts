import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Each fake appends its command line to $FAKE_STATE/log and keeps its state as files there.
const FAKES: Record<string, string> = {
  systemctl: `echo "systemctl $*" >>"$FAKE_STATE/log"
case $1 in
is-enabled) [ -e "$FAKE_STATE/enabled" ] ;;
is-active) [ -e "$FAKE_STATE/active" ] ;;
enable) touch "$FAKE_STATE/enabled" ;;
start | restart) [ -n "\${FAKE_CRASH:-}" ] || touch "$FAKE_STATE/active" ;;
disable) rm -f "$FAKE_STATE/enabled" "$FAKE_STATE/active" ;;
esac`,
  journalctl: 'echo "edgewatch-agent: config file /etc/edgewatch/agent.json: bad value"',
  useradd: `echo "useradd $*" >>"$FAKE_STATE/log"
for a; do user=$a; done
touch "$FAKE_STATE/user-$user"`,
  userdel: `echo "userdel $*" >>"$FAKE_STATE/log"
rm -f "$FAKE_STATE/user-$1"`,
  chown: 'echo "chown $*" >>"$FAKE_STATE/log"',
  // root, and users exist once the fake useradd made them.
  id: `if [ "$1" = -u ] && [ $# -eq 1 ]; then echo 0; exit 0; fi
if [ "$1" = -u ] && [ -e "$FAKE_STATE/user-$2" ]; then echo 999; exit 0; fi
exit 1`,
  sleep: 'exit 0',
};

/**
 * A bin folder of stand-ins for systemctl, journalctl, useradd, userdel, chown, id and sleep,
 * so the installer's systemd path runs without root, systemd or a touched /etc. Put it first
 * on PATH with FAKE_STATE set to `state`.
 */
export async function fakeSystemd(dir: string): Promise<{ bin: string; state: string; log(): Promise<string[]> }> {
  const bin = join(dir, 'fake-bin');
  const state = join(dir, 'fake-state');
  await mkdir(bin, { recursive: true });
  await mkdir(state, { recursive: true });
  for (const [name, body] of Object.entries(FAKES)) {
    await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(bin, name), 0o755);
  }
  return {
    bin,
    state,
    async log() {
      const text = await readFile(join(state, 'log'), 'utf8').catch(() => '');
      await writeFile(join(state, 'log'), '');
      return text.split('\n').filter(Boolean);
    },
  };
}

/**
 * The served script, changed only where it refuses to touch systemd inside a --prefix or
 * without a running systemd: the test's systemd is fake, and its root a temp folder.
 */
export function allowFakeSystemd(script: string): string {
  const guards: [string, string][] = [
    ['if [ -n "$ROOT" ] && [ "$SYSTEMD" = 1 ]; then', 'if false; then'],
    ['[ -d /run/systemd/system ]', 'true'],
  ];
  for (const [from, to] of guards) {
    if (!script.includes(from)) throw new Error(`install.sh no longer contains ${from}; update allowFakeSystemd`);
    script = script.replaceAll(from, to);
  }
  return script;
}
