#!/usr/bin/env bash
# Installs what `make bench` needs, each piece only when it is missing:
#   nginx, wrk, h2load    Debian packages nginx-light, wrk, nghttp2-client (apt-get, as root)
#   LiteLLM's proxy       its own venv: bench/.venv-litellm ('litellm[proxy]', pinned)
#   Portkey's gateway     bench/portkey/node_modules, from bench/portkey/package.json + lock
# `bench/tools.sh --debian` installs only the Debian packages (all that `make bench-soak` needs).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
LITELLM_SPEC=${LITELLM_SPEC:-"litellm[proxy]==1.108.7"}

missing=()
for pair in nginx:nginx-light wrk:wrk h2load:nghttp2-client taskset:util-linux; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "bench/tools.sh: missing ${missing[*]}: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[[ ${1:-} == --debian ]] && exit 0

if [[ ! -x .venv-litellm/bin/litellm ]]; then
  echo "installing $LITELLM_SPEC into bench/.venv-litellm"
  "$PYTHON" -m venv .venv-litellm
  .venv-litellm/bin/pip install --quiet --upgrade pip
  .venv-litellm/bin/pip install --quiet "$LITELLM_SPEC"
fi

if [[ ! -f portkey/node_modules/@portkey-ai/gateway/build/start-server.js ]]; then
  command -v npm >/dev/null 2>&1 || { echo "bench/tools.sh: npm not found (apt-get install -y npm)" >&2; exit 1; }
  echo "installing Portkey's gateway into bench/portkey/node_modules"
  # --ignore-scripts: the gateway's postinstall (patch-package) is for its own development
  (cd portkey && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
