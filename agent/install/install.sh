#!/bin/sh
# Installs the Edgewatch host agent:
#   curl -fsSL https://<server>/install.sh | sh -s -- --token <enrollment token>
# The server fills in its URL, the agent bundle's sha256 and the systemd unit when it serves
# this file (GET /install.sh). docs/install.md describes every flag and file.
#
# Everything runs from main, called on the last line, so a truncated download runs nothing.
# Commands get </dev/null because under `curl | sh` stdin is the rest of this script.
set -eu
umask 022

DEFAULT_URL='@EDGEWATCH_URL@'
AGENT_SHA256='@AGENT_SHA256@'
SERVICE=edgewatch-agent
SERVICE_USER=edgewatch
# What systemd gives a service; the unit runs `/usr/bin/env node`, so node must be found here.
SYSTEMD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# useradd and userdel live in sbin, which a plain user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

say() { printf 'edgewatch: %s\n' "$*"; }
warn() { printf 'edgewatch: warning: %s\n' "$*" >&2; }
die() {
	printf 'edgewatch: error: %s\n' "$*" >&2
	exit 1
}
usage_error() {
	printf 'edgewatch: %s\nSee: sh install.sh --help\n' "$*" >&2
	exit 2
}

usage() {
	cat <<EOF
Usage: curl -fsSL $DEFAULT_URL/install.sh | sh -s -- --token TOKEN [options]

Installs the Edgewatch host agent: downloads it from the server and checks its sha256,
enrolls this host, writes /etc/edgewatch/agent.json (mode 0600, with the state folder /var/lib/edgewatch in it,
so that every edgewatch-agent command uses that folder) and a hardened systemd unit, then
enables and starts the service. Running it again changes only what differs.

Options:
  --token TOKEN     enrollment token (needed unless this host is already enrolled)
  --url URL         Edgewatch server (default: $DEFAULT_URL)
  --name NAME       device name shown in the dashboard (default: this host's name)
  --prefix DIR      install into DIR as if it were / (an image, a chroot, a test);
                    needs --no-systemd
  --no-systemd      no service user and no systemctl: install the files only
                    (containers, tests); the unit file is still written
  --bundle-url URL  download the agent bundle from URL (a mirror); it must still
                    match the sha256 in this script, and the chunks it names are
                    taken from chunks/ beside it
  --uninstall       stop and remove the service, the user and every installed file:
                    the unit, the edgewatch-agent command, /opt/edgewatch,
                    /etc/edgewatch (config) and the state folder /var/lib/edgewatch
                    (spool with samples not yet shipped, status file); with --prefix,
                    those under DIR. Running it again removes nothing more.
  -h, --help        show this help

Example:
  curl -fsSL $DEFAULT_URL/install.sh | sudo sh -s -- --token ewe_... --name web-1
EOF
}

parse_args() {
	TOKEN='' URL='' NAME='' PREFIX=/ SYSTEMD=1 BUNDLE_URL='' UNINSTALL=0
	while [ $# -gt 0 ]; do
		case $1 in
		--token | --url | --name | --prefix | --bundle-url)
			[ $# -ge 2 ] || usage_error "$1 needs a value, e.g. $1 $(example_for "$1")"
			set_option "$1" "$2"
			shift 2
			;;
		--token=* | --url=* | --name=* | --prefix=* | --bundle-url=*)
			set_option "${1%%=*}" "${1#*=}"
			shift
			;;
		--no-systemd) SYSTEMD=0 && shift ;;
		--uninstall) UNINSTALL=1 && shift ;;
		-h | --help) usage && exit 0 ;;
		*) usage_error "unknown option '$1'" ;;
		esac
	done
}

set_option() {
	[ -n "$2" ] || usage_error "$1 needs a value, e.g. $1 $(example_for "$1")"
	case $1 in
	--token) TOKEN=$2 ;;
	--url) URL=$2 ;;
	--name) NAME=$2 ;;
	--prefix) PREFIX=$2 ;;
	--bundle-url) BUNDLE_URL=$2 ;;
	esac
}

example_for() {
	case $1 in
	--token) echo 'ewe_...' ;;
	--url | --bundle-url) echo 'https://edgewatch.example.com' ;;
	--name) echo 'web-1' ;;
	--prefix) echo '/tmp/edgewatch-root' ;;
	esac
}

# Paths on this host. With --prefix they sit under it, but the files written there (unit,
# command wrapper) name the unprefixed paths, as they will be once that root is /.
set_paths() {
	case $PREFIX in
	/*) ;;
	*) usage_error "--prefix must be an absolute path, got '$PREFIX'" ;;
	esac
	ROOT=$PREFIX
	while [ "${ROOT%/}" != "$ROOT" ]; do ROOT=${ROOT%/}; done
	if [ -n "$ROOT" ] && [ "$SYSTEMD" = 1 ]; then
		usage_error "--prefix $PREFIX installs into another root, whose systemd is not this host's: add --no-systemd"
	fi
	OPT_DIR=$ROOT/opt/edgewatch
	BUNDLE=$OPT_DIR/edgewatch-agent.js
	CONFIG_DIR=$ROOT/etc/edgewatch
	CONFIG=$CONFIG_DIR/agent.json
	STATE_DIR=$ROOT/var/lib/edgewatch
	# The config's "spoolDir". Under a prefix it is relative to the config's folder, so the agent
	# finds the same folder run in place (node DIR/opt/...) and once DIR has become /.
	SPOOL_SETTING=/var/lib/edgewatch
	[ -z "$ROOT" ] || SPOOL_SETTING=../../var/lib/edgewatch
	UNIT=$ROOT/etc/systemd/system/$SERVICE.service
	COMMAND=$ROOT/usr/local/bin/edgewatch-agent
}

check_server_url() {
	URL=${URL:-$DEFAULT_URL}
	while [ "${URL%/}" != "$URL" ]; do URL=${URL%/}; done
	case $URL in
	http://127.0.0.1* | http://localhost* | http://\[::1\]*) ;;
	https://?*) ;;
	http://?*) warn "$URL is plain http: the token and the agent travel unencrypted" ;;
	*) usage_error "--url must be the http(s) URL of the Edgewatch server, got '$URL'" ;;
	esac
	# Unfilled placeholders mean this file is the template, not what a server serves.
	case $AGENT_SHA256 in
	*[!0-9a-f]* | '') die "this copy of install.sh has no agent checksum in it: download it from your server, e.g. curl -fsSL https://edgewatch.example.com/install.sh | sh -s -- --token ..." ;;
	esac
	[ ${#AGENT_SHA256} -eq 64 ] || die "the agent checksum in this script is not a sha256: '$AGENT_SHA256'"
}

systemd_running() { command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; }

check_systemd() {
	[ "$SYSTEMD" = 1 ] || return 0
	[ "$(id -u)" = 0 ] || die "installing the service needs root: run it as curl -fsSL $URL/install.sh | sudo sh -s -- ..., or pass --no-systemd --prefix DIR to install files only"
	systemd_running || die "systemd is not running on this host (no /run/systemd/system): pass --no-systemd to install the files only and start the agent yourself"
}

# Sets NODE to the node that will run the agent: under systemd, the one on systemd's PATH.
check_node() {
	if [ "$SYSTEMD" = 1 ]; then
		NODE=$(PATH=$SYSTEMD_PATH command -v node) || NODE=''
		where="on systemd's PATH ($SYSTEMD_PATH), which is where the service looks"
	else
		NODE=$(command -v node) || NODE=''
		where="on PATH ($PATH)"
	fi
	how="Install Node.js 20 or newer system-wide: Debian 13+ 'apt-get install nodejs'; older Debian/Ubuntu ship Node 18, so use https://nodejs.org/en/download or https://github.com/nodesource/distributions. Then run this again."
	[ -n "$NODE" ] || die "the agent needs Node.js 20 or newer, and no 'node' was found $where. $how"
	version=$("$NODE" -v </dev/null 2>/dev/null) || version=''
	major=${version#v}
	major=${major%%.*}
	case $major in
	'' | *[!0-9]*) die "could not read the Node.js version: '$NODE -v' printed '$version'. $how" ;;
	esac
	[ "$major" -ge 20 ] || die "the agent needs Node.js 20 or newer; found $version at $NODE. $how"
	say "node: $version ($NODE)"
}

check_tools() {
	if command -v curl >/dev/null 2>&1; then
		DOWNLOADER=curl
	elif command -v wget >/dev/null 2>&1; then
		DOWNLOADER=wget
	else
		die "neither curl nor wget is installed: install one (apt-get install curl) and run this again"
	fi
}

fetch() {
	if [ "$DOWNLOADER" = curl ]; then
		curl -fsSL --retry 3 -o "$2" "$1" </dev/null
	else
		wget -q -O "$2" "$1" </dev/null
	fi
}

# Reads stdin, so odd file names never reach sha256sum's escaped output.
sha256_of() {
	if command -v sha256sum >/dev/null 2>&1; then
		sum=$(sha256sum <"$1")
	elif command -v shasum >/dev/null 2>&1; then
		sum=$(shasum -a 256 <"$1")
	else
		sum=$("$NODE" -e 'process.stdout.write(require("crypto").createHash("sha256").update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$1" </dev/null)
	fi
	printf '%s\n' "${sum%% *}"
}

# Prints the device id when $CONFIG already holds a device enrolled with $URL.
enrolled_device() {
	[ -f "$CONFIG" ] || return 1
	"$NODE" -e '
		const n = (u) => { try { return new URL(String(u).trim()).href.replace(/\/+$/, ""); } catch { return ""; } };
		let c;
		try { c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); } catch { process.exit(1); }
		if (!c || typeof c.deviceId !== "string" || !n(c.url) || n(c.url) !== n(process.argv[2])) process.exit(1);
		process.stdout.write(c.deviceId);
	' "$CONFIG" "$URL" </dev/null
}

# Sets "spoolDir" in $CONFIG to $SPOOL_SETTING; prints "changed" when it was not already.
record_state_dir() {
	"$NODE" -e '
		const fs = require("fs");
		const [path, dir] = process.argv.slice(1);
		const c = JSON.parse(fs.readFileSync(path, "utf8"));
		if (c.spoolDir === dir) process.exit(0);
		c.spoolDir = dir;
		fs.writeFileSync(path + ".new", JSON.stringify(c, null, 2) + "\n", { mode: 0o600 });
		fs.renameSync(path + ".new", path);
		process.stdout.write("changed");
	' "$CONFIG" "$SPOOL_SETTING" </dev/null
}

# Prints "remove DIR" or "keep DIR" for a state folder the config points to besides
# $STATE_DIR: an older --no-systemd install's config named none, so its agent wrote to the
# default folder of whoever ran it; that folder is removed when its status file is this
# device's. A folder the operator chose ("spoolDir" edited) is kept. Needs node; quiet without.
other_state_dir() {
	[ -f "$CONFIG" ] && command -v node >/dev/null 2>&1 || return 0
	node -e '
		const fs = require("fs");
		const path = require("path");
		const [file, stateDir, systemd] = process.argv.slice(1);
		let c;
		try { c = JSON.parse(fs.readFileSync(file, "utf8")); } catch { process.exit(0); }
		if (typeof c.spoolDir === "string" && c.spoolDir) {
			const dir = path.resolve(path.dirname(file), c.spoolDir);
			if (dir !== stateDir && fs.existsSync(dir)) process.stdout.write("keep " + dir);
			process.exit(0);
		}
		if (systemd === "1" || !process.env.HOME) process.exit(0);
		const dir = path.join(process.env.XDG_STATE_HOME || path.join(process.env.HOME, ".local", "state"), "edgewatch");
		try {
			const s = JSON.parse(fs.readFileSync(path.join(dir, "status.json"), "utf8"));
			if (s.deviceId && s.deviceId === c.deviceId) process.stdout.write("remove " + dir);
		} catch {}
	' "$CONFIG" "$STATE_DIR" "$SYSTEMD" </dev/null || true
}

# install_file SRC DEST MODE LABEL: copies only when the content differs, atomically, and
# sets FILE_CHANGED for the caller.
install_file() {
	FILE_CHANGED=0
	if [ -f "$2" ] && [ "$(sha256_of "$1")" = "$(sha256_of "$2")" ]; then
		chmod "$3" "$2"
		say "$4: unchanged ($2)"
		return 0
	fi
	verb=installed
	[ -f "$2" ] && verb=updated
	mkdir -p "${2%/*}"
	cp "$1" "$2.new"
	chmod "$3" "$2.new"
	mv -f "$2.new" "$2"
	say "$4: $verb $2"
	FILE_CHANGED=1
	CHANGED=1
}

download_bundle() {
	src=${BUNDLE_URL:-$URL/agent/edgewatch-agent.js}
	say "downloading the agent from $src"
	fetch "$src" "$TMP/edgewatch-agent.js" || die "could not download the agent from $src (see above). Nothing was installed."
	got=$(sha256_of "$TMP/edgewatch-agent.js")
	[ "$got" = "$AGENT_SHA256" ] ||
		die "sha256 mismatch for $src: expected $AGENT_SHA256, got $got. The download is corrupt or was altered on the way (a proxy, a stale mirror). Nothing was installed."
	say "agent: sha256 verified ($got)"
	download_chunks "${src%/*}"
}

# The agent's main file names the chunks it loads on demand (gateway, MQTT), each with its
# sha256, on lines "//# edgewatch-chunk SHA256 chunks/NAME.mjs". The main file is verified
# already, so each chunk is checked against the sha256 it gives. Prints nothing for a main file
# without chunks.
chunk_list() {
	sed -n 's|^//# edgewatch-chunk \([0-9a-f]\{64\}\) chunks/\([A-Za-z0-9._-]*\.mjs\)$|\1 \2|p' "$1"
}

download_chunks() {
	mkdir -p "$TMP/chunks"
	count=0
	for line in $(chunk_list "$TMP/edgewatch-agent.js" | tr ' ' ':'); do
		want=${line%%:*} name=${line#*:}
		fetch "$1/chunks/$name" "$TMP/chunks/$name" || die "could not download $1/chunks/$name (see above). Nothing was installed."
		got=$(sha256_of "$TMP/chunks/$name")
		[ "$got" = "$want" ] ||
			die "sha256 mismatch for $1/chunks/$name: expected $want, got $got. The download is corrupt or was altered on the way. Nothing was installed."
		count=$((count + 1))
	done
	[ "$count" = 0 ] || say "agent: $count chunks verified"
}

# Puts the chunks in place before the main file that loads them; removes those no longer named
# once the new main file is in place (a running agent may still load its own until it restarts).
install_chunks() {
	mkdir -p "$OPT_DIR/chunks"
	chmod 755 "$OPT_DIR/chunks"
	for f in "$TMP"/chunks/*.mjs; do
		[ -f "$f" ] || continue
		dest=$OPT_DIR/chunks/${f##*/}
		[ -f "$dest" ] && [ "$(sha256_of "$f")" = "$(sha256_of "$dest")" ] && continue
		cp "$f" "$dest.new"
		chmod 644 "$dest.new"
		mv -f "$dest.new" "$dest"
		CHANGED=1
	done
}

prune_chunks() {
	for f in "$OPT_DIR"/chunks/*; do
		[ -e "$f" ] || continue
		[ -f "$TMP/chunks/${f##*/}" ] || rm -f "$f"
	done
	rmdir "$OPT_DIR/chunks" 2>/dev/null || true
}

ensure_user() {
	if id -u "$SERVICE_USER" >/dev/null 2>&1; then
		say "user: unchanged ($SERVICE_USER)"
		return 0
	fi
	shell=/bin/false
	for f in /usr/sbin/nologin /sbin/nologin; do [ -x "$f" ] && shell=$f && break; done
	command -v useradd >/dev/null 2>&1 || die "useradd not found: cannot create the $SERVICE_USER user"
	useradd --system --user-group --no-create-home --home-dir /nonexistent --shell "$shell" \
		--comment 'Edgewatch agent' "$SERVICE_USER" </dev/null
	say "user: created $SERVICE_USER (system user, no login shell, no home)"
	CHANGED=1
}

enroll() {
	mkdir -p "$CONFIG_DIR"
	chmod 700 "$CONFIG_DIR"
	if DEVICE=$(enrolled_device); then
		say "enrollment: unchanged (device $DEVICE with $URL, $CONFIG)"
		recorded=$(record_state_dir) || die "could not record the state folder in $CONFIG (see above)"
		if [ "$recorded" = changed ]; then
			say "config: state folder set to $STATE_DIR"
			CHANGED=1
			RESTART=1
		fi
	else
		set -- enroll --url "$URL" --token "$TOKEN" --config "$CONFIG" --spool-dir "$SPOOL_SETTING"
		[ -z "$NAME" ] || set -- "$@" --name "$NAME"
		out=$("$NODE" "$BUNDLE" "$@" </dev/null 2>&1) || die "enrollment with $URL failed: $out (the agent is installed; run this again once that is fixed)"
		DEVICE=$(enrolled_device) || die "enrollment reported success but $CONFIG holds no device for $URL: $out"
		say "enrollment: enrolled as device $DEVICE with $URL, config $CONFIG"
		CHANGED=1
		RESTART=1
	fi
	chmod 600 "$CONFIG"
	mkdir -p "$STATE_DIR"
	chmod 700 "$STATE_DIR"
	if [ "$SYSTEMD" = 1 ]; then
		# The service reads its config and owns its state; nothing else of it is writable to it.
		chown "$SERVICE_USER:$SERVICE_USER" "$CONFIG_DIR" "$CONFIG" "$STATE_DIR"
	fi
}

write_command() {
	cat >"$TMP/command" <<'EOF'
#!/bin/sh
# Written by the Edgewatch install.sh: the agent CLI, with the installed config as default.
# The config names the state folder, so status and check read the service's own.
EDGEWATCH_CONFIG=${EDGEWATCH_CONFIG:-/etc/edgewatch/agent.json}
export EDGEWATCH_CONFIG
exec node /opt/edgewatch/edgewatch-agent.js "$@"
EOF
	install_file "$TMP/command" "$COMMAND" 755 command
}

write_unit() {
	cat >"$TMP/unit" <<'EDGEWATCH_UNIT'
@EDGEWATCH_UNIT@
EDGEWATCH_UNIT
	install_file "$TMP/unit" "$UNIT" 644 unit
	UNIT_CHANGED=$FILE_CHANGED
	[ "$FILE_CHANGED" = 0 ] || RESTART=1
}

start_service() {
	[ "$UNIT_CHANGED" = 0 ] || systemctl daemon-reload </dev/null
	if systemctl is-enabled --quiet "$SERVICE" </dev/null 2>&1; then
		say "service: unchanged (enabled)"
	else
		systemctl enable --quiet "$SERVICE" </dev/null
		say "service: enabled"
		CHANGED=1
	fi
	if ! systemctl is-active --quiet "$SERVICE" </dev/null; then
		systemctl start "$SERVICE" </dev/null
		say "service: started"
		CHANGED=1
	elif [ "$RESTART" = 1 ]; then
		systemctl restart "$SERVICE" </dev/null
		say "service: restarted, since its files changed"
	else
		say "service: unchanged (running)"
	fi
	# A bad config or a missing node makes it exit at once; say so here, not in a week.
	sleep 2
	systemctl is-active --quiet "$SERVICE" </dev/null ||
		die "$SERVICE is not running. Its last log lines: $(journalctl -u "$SERVICE" -n 15 --no-pager </dev/null 2>&1 || true)"
}

summary() {
	echo
	if [ "$CHANGED" = 0 ]; then
		say "Nothing changed: the agent was already installed, enrolled and up to date."
	else
		say "The Edgewatch agent is installed."
	fi
	cat <<EOF
  agent    $BUNDLE (sha256 $AGENT_SHA256)
  command  $COMMAND
  config   $CONFIG (mode 0600; device $DEVICE, server $URL)
  state    $STATE_DIR ("spoolDir" in the config: spool, status file)
  unit     $UNIT
EOF
	if [ "$SYSTEMD" = 1 ]; then
		cat <<EOF
See it working:
  systemctl status $SERVICE
  journalctl -u $SERVICE -f
  edgewatch-agent status
Remove it:
  curl -fsSL $URL/install.sh | sudo sh -s -- --uninstall
EOF
	else
		prefix_flags=''
		[ -z "$ROOT" ] || prefix_flags=" --prefix $ROOT"
		cat <<EOF
No service was set up (--no-systemd). Start the agent, and see it working, with:
  node $BUNDLE run --config $CONFIG
  node $BUNDLE status --config $CONFIG
Remove it:
  curl -fsSL $URL/install.sh | sh -s -- --uninstall --no-systemd$prefix_flags
EOF
	fi
}

install() {
	check_server_url
	check_systemd
	check_node
	check_tools
	if [ -z "$TOKEN" ] && ! enrolled_device >/dev/null; then
		usage_error "--token is needed: this host is not enrolled with $URL yet. Create an enrollment token in the dashboard or with POST /v1/enrollment-tokens, then: curl -fsSL $URL/install.sh | sh -s -- --token ewe_..."
	fi
	TMP=$(mktemp -d)
	trap 'rm -rf "$TMP"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	CHANGED=0 RESTART=0 UNIT_CHANGED=0 DEVICE=''
	download_bundle
	[ "$SYSTEMD" = 0 ] || ensure_user
	mkdir -p "$OPT_DIR" 2>/dev/null || die "cannot create $OPT_DIR: run this as root, or install into another root with --prefix DIR --no-systemd"
	chmod 755 "$OPT_DIR"
	install_chunks
	install_file "$TMP/edgewatch-agent.js" "$BUNDLE" 755 agent
	[ "$FILE_CHANGED" = 0 ] || RESTART=1
	prune_chunks
	write_command
	enroll
	write_unit
	[ "$SYSTEMD" = 0 ] || start_service
	summary
}

# remove PATH LABEL: removes a file or folder if present.
remove() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		rm -rf "$1"
		say "removed $2 $1"
		REMOVED=1
	fi
}

uninstall() {
	REMOVED=0
	if [ "$SYSTEMD" = 1 ]; then
		[ "$(id -u)" = 0 ] || die "removing the service needs root: run it with sudo, or pass --no-systemd --prefix DIR"
		if systemd_running; then
			if [ -f "$UNIT" ]; then
				systemctl disable --now --quiet "$SERVICE" </dev/null 2>&1 || true
				say "service: stopped and disabled"
			fi
		else
			warn "systemd is not running here; removing files only"
		fi
	fi
	remove "$UNIT" unit
	if [ "$SYSTEMD" = 1 ] && systemd_running; then systemctl daemon-reload </dev/null; fi
	remove "$COMMAND" command
	other=$(other_state_dir)
	remove "$OPT_DIR" agent
	remove "$CONFIG_DIR" config
	remove "$STATE_DIR" state
	case $other in
	remove\ *) remove "${other#remove }" state ;;
	keep\ *) warn "kept ${other#keep } (\"spoolDir\" in the config pointed there): remove it yourself if it is no longer needed" ;;
	esac
	if [ "$SYSTEMD" = 1 ] && id -u "$SERVICE_USER" >/dev/null 2>&1; then
		userdel "$SERVICE_USER" </dev/null
		say "removed user $SERVICE_USER"
		REMOVED=1
	fi
	if [ -n "$ROOT" ]; then
		# Inside a prefix, folders left empty were made by the install; / keeps its own.
		for d in opt etc/systemd/system etc/systemd etc var/lib var usr/local/bin usr/local usr; do
			rmdir "$ROOT/$d" 2>/dev/null || true
		done
	fi
	if [ "$REMOVED" = 1 ]; then
		say "The Edgewatch agent is uninstalled. Its device stays listed on the server until you delete it there."
	else
		say "Nothing to remove: the Edgewatch agent is not installed here."
	fi
}

main() {
	parse_args "$@"
	set_paths
	if [ "$UNINSTALL" = 1 ]; then
		uninstall
	else
		install
	fi
}

main "$@"
