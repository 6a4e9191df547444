#!/usr/bin/env bash
# Installs what the CI-level suites (test/ci) need: Debian's prometheus package, for the test that has a
# real Prometheus scrape Unmetered and compares PromQL totals with `unmetered report --json`.
# Idempotent: a second run only checks it is there. Safe with CI=true and no stdin. As test/e2e/setup.sh:
# apt-get as root, or through password-less sudo; otherwise it says what to run and fails.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if command -v prometheus >/dev/null 2>&1; then
  echo "== ci setup: $(prometheus --version 2>&1 | head -n1): present"
  exit 0
fi
sudo=()
[[ $(id -u) == 0 ]] || sudo=(sudo -n)
if [[ $(id -u) == 0 ]] || sudo -n true 2>/dev/null; then
  echo "== ci setup: installing Debian's prometheus package"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq prometheus >/dev/null
  # The package's service is not wanted (the test starts its own on loopback); containers have no systemd anyway.
  command -v systemctl >/dev/null 2>&1 && "${sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
  echo "== ci setup: $(prometheus --version 2>&1 | head -n1)"
else
  echo "test/ci/setup.sh: not root and no password-less sudo. Install it, then run this again:" >&2
  echo "  sudo apt-get install -y prometheus" >&2
  exit 1
fi
