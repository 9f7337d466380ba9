#!/usr/bin/env bash
# deps.sh - install the Debian packages backcheck needs, and say exactly which.
#
#   scripts/deps.sh            build and run: compiler, CMake, the five libraries
#   scripts/deps.sh --test     also what the test suite uses (cmocka, wrk, xmllint,
#                              python3-jsonschema, clang for fuzzing)
#   scripts/deps.sh --browser  also Debian's chromium (the report rendering test)
#
# Installs only what is missing (dpkg-query decides), as root or through sudo.
set -euo pipefail

pkgs=(gcc libc6-dev make cmake pkg-config libcurl4-openssl-dev libssl-dev libcjson-dev
      libmicrohttpd-dev libcmocka-dev zlib1g-dev)
for arg in "$@"; do
  case "$arg" in
    --test) pkgs+=(python3 python3-jsonschema curl wrk libxml2-utils clang libclang-rt-14-dev procps) ;;
    --browser) pkgs+=(chromium) ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "deps.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps.sh: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "deps.sh: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install ${missing[*]}" >&2; exit 2; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: installed ${missing[*]}"
