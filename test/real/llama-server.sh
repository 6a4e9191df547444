#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` from the source that the npm package node-llama-cpp ships
# (llama/gitRelease.bundle, a git bundle of one squashed commit; its tag is in llama/llama.cpp.info.json), for the
# real-inference suites in test/real. About 18 minutes of CPU: some 10 minutes of wall on an idle 2-core machine
# (56 at a load average of 15). The package is fetched with `npm pack` (the npm registry only; it is not a
# dependency, so `npm ci` does not install its 600 MB of prebuilt binaries).
# The build is cached OUTSIDE the clone, keyed by that version, so CI on the same machine reuses it:
#   ${UNMETERED_LLAMA_CACHE:-/var/cache/unmetered}/llama-server-<node-llama-cpp version>-<bundle commit>/bin/llama-server
# Prints the binary's path as its last line. Needs cmake and g++ (installed with apt-get when missing and root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

version=${UNMETERED_NODE_LLAMA_CPP:-3.22.1}
pack=${UNMETERED_LLAMA_CACHE:-/var/cache/unmetered}/node-llama-cpp-$version
bundle=$pack/package/llama/gitRelease.bundle
if [[ ! -f $bundle ]]; then
  mkdir -p "$pack"
  tgz=$(cd "$pack" && npm pack --silent "node-llama-cpp@$version")
  tar -xzf "$pack/$tgz" -C "$pack" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
  rm -f "$pack/$tgz"
fi
commit=$(git bundle list-heads "$bundle" | awk 'NR==1{print substr($1,1,12)}')
cache=${UNMETERED_LLAMA_CACHE:-/var/cache/unmetered}/llama-server-$version-$commit
bin=$cache/bin/llama-server
if [[ -x $bin ]]; then
  echo "llama-server.sh: cached build $bin" >&2
  echo "$bin"
  exit 0
fi

if ! command -v cmake >/dev/null || ! command -v g++ >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq </dev/null && apt-get install -y -qq cmake g++ make </dev/null >&2
  else
    echo "llama-server.sh: cmake and g++ are needed to build llama-server" >&2
    exit 1
  fi
fi

mkdir -p "$(dirname "$cache")"
work=$(mktemp -d "$(dirname "$cache")/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
t=$SECONDS
git clone -q "$bundle" "$work/src" 2>/dev/null
# No network at build time: no HTTPS client (LLAMA_OPENSSL), no web UI fetched from a hub (LLAMA_USE_PREBUILT_UI),
# nothing but the server target. LLAMA_CURL is gone from this llama.cpp (its downloads use cpp-httplib now).
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF >"$work/cmake.log" 2>&1 ||
  { tail -40 "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" --target llama-server -j"${UNMETERED_LLAMA_JOBS:-2}" >"$work/build.log" 2>&1 ||
  { tail -60 "$work/build.log" >&2; exit 1; }
mkdir -p "$work/out/bin"
cp "$work/build/bin/llama-server" "$work/out/bin/"
printf '%s\n' "node-llama-cpp $version" "bundle commit $commit" "built in $((SECONDS - t)) s on $(nproc) cores" >"$work/out/BUILD"
rm -rf "$cache" && mv "$work/out" "$cache"
echo "llama-server.sh: built $bin in $((SECONDS - t)) s" >&2
echo "$bin"
