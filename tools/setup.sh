#!/usr/bin/env bash
# ioconform setup: idempotent, for a fresh Debian 12 machine, as root.
#
# 1. installs the Debian packages the project needs (only those missing);
# 2. fetches the kernel sources we test (Debian's linux-source-7.2 from sid and
#    linux-source-6.12 from bookworm-backports) through a *private* apt state, so
#    the system's own sources and package lists stay untouched; the mirror URI is
#    read from the machine's own apt sources file, never written down here;
# 3. configures and builds the project (incremental).
# A second run finds everything in place and returns in seconds.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${IOCONFORM_CACHE:-/var/cache/ioconform}
BUILD=${IOCONFORM_BUILD:-$REPO/build}
export DEBIAN_FRONTEND=noninteractive

log() { printf 'setup: %s\n' "$*" >&2; }

PACKAGES=(
  build-essential cmake pkg-config git
  libz3-dev nlohmann-json3-dev pybind11-dev python3-dev python3-pytest
  libgtest-dev libgmock-dev libbenchmark-dev
  qemu-system-x86 busybox-static cpio
  flex bison bc libelf-dev libssl-dev rsync libcap-dev xz-utils
)

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    log "packages: all ${#PACKAGES[@]} present"
  fi
}

# The first mirror URI of the system's Debian archive (not -security), from
# deb822 .sources files or one-line sources.list entries.
mirror_uri() {
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '
      /^[[:space:]]*$/ { if (u != "" && s ~ /(^| )(bookworm|trixie|sid|stable|unstable)( |$)/) { print u; exit } u=""; s=""; next }
      /^URIs:/ { u=$2 } /^Suites:/ { $1=""; s=$0 }
      END { if (u != "" && s ~ /(^| )(bookworm|trixie|sid|stable|unstable)( |$)/) print u }' "$f" | head -n1)
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1=="deb" && $0 !~ /security/ { for (i=2;i<=NF;i++) if ($i !~ /^\[/) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  log "error: no Debian mirror URI found in /etc/apt/sources.list{,.d}"; exit 1
}

# fetch_source SUITE VERSION: leaves the tree in $CACHE/src/linux-source-VERSION
fetch_source() {
  local suite=$1 ver=$2
  local dest=$CACHE/src/linux-source-$ver
  if [ -f "$dest/Makefile" ] && [ -f "$dest/.ioconform-extracted" ]; then
    log "kernel source $ver: present in $dest"; return
  fi
  local state=$CACHE/apt/$suite
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/parts" "$CACHE/debs"
  echo "deb $(mirror_uri) $suite main" > "$state/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=$state/parts"
              -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
              -o "Dir::Cache::archives=$state/cache/archives" -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
  log "kernel source $ver: apt update for $suite (private state in $state)"
  apt-get "${opts[@]}" update -q >&2
  local deb
  deb=$(ls "$CACHE"/debs/linux-source-"$ver"_*.deb 2>/dev/null | head -n1 || true)
  if [ -z "$deb" ]; then
    (cd "$CACHE/debs" && apt-get "${opts[@]}" download -q "linux-source-$ver" >&2)
    deb=$(ls "$CACHE"/debs/linux-source-"$ver"_*.deb | head -n1)
  fi
  log "kernel source $ver: extracting $(basename "$deb")"
  local tmp=$CACHE/src/.x-$ver
  rm -rf "$tmp" "$dest"; mkdir -p "$tmp"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './usr/src/linux-source-*.tar.*'
  tar -x -C "$CACHE/src" -f "$tmp"/usr/src/linux-source-"$ver".tar.*
  rm -rf "$tmp"
  dpkg-deb -f "$deb" Version > "$dest/.ioconform-debversion"
  touch "$dest/.ioconform-extracted"
}

# uAPI headers of each fetched kernel, for the agent and the spec's layout checks.
make_headers() {
  local ver=$1 src=$CACHE/src/linux-source-$1 out=$CACHE/headers/$1
  if [ -f "$out/include/linux/iommufd.h" ]; then log "headers $ver: present"; return; fi
  log "headers $ver: make headers_install"
  rm -rf "$out" "$CACHE/obj-headers-$ver"
  make -s -C "$src" O="$CACHE/obj-headers-$ver" ARCH=x86 INSTALL_HDR_PATH="$out" headers_install >&2
  rm -rf "$CACHE/obj-headers-$ver"
}

build_project() {
  log "building in $BUILD"
  cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOCONFORM_CACHE="$CACHE" >/dev/null
  cmake --build "$BUILD" -j"$(nproc)"
}

case "${1:-all}" in
  packages) install_packages ;;
  sources) fetch_source sid 7.2; fetch_source bookworm-backports 6.12; make_headers 7.2; make_headers 6.12 ;;
  build) build_project ;;
  all) install_packages
       fetch_source sid 7.2; fetch_source bookworm-backports 6.12
       make_headers 7.2; make_headers 6.12
       build_project ;;
  *) echo "usage: tools/setup.sh [all|packages|sources|build]" >&2; exit 2 ;;
esac
