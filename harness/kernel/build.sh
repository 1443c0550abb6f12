#!/usr/bin/env bash
# Build a conformance kernel: tinyconfig + harness/kernel/ioconform.config, bzImage only.
#   build.sh SRC_TREE OUT_DIR
# OUT_DIR is the cache entry (the caller keys it by source version, fragment hash
# and compiler). On success OUT_DIR holds bzImage, .config (as `config`),
# include/ (uAPI headers from `make headers`) and `build.log`; `ok` marks it complete.
# Every option of the fragment must survive olddefconfig: a dropped option
# (unmet dependency) is an error naming the option, never a silently weaker kernel;
# an option this tree does not define at all is recorded in absent_options.
set -euo pipefail
src=$(cd "$1" && pwd); out=$2
frag=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/ioconform.config
mkdir -p "$out"; out=$(cd "$out" && pwd)
obj=$out/obj
rm -f "$out/ok"
mkdir -p "$obj"
jobs=$(nproc)
{
  make -C "$src" O="$obj" ARCH=x86_64 tinyconfig
  "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag"
  make -C "$src" O="$obj" ARCH=x86_64 olddefconfig
} > "$out/build.log" 2>&1
# An option that did not survive is an error, unless this tree's Kconfig does
# not define it at all (an older kernel: 6.12 has no GENERIC_PT): those are
# listed in OUT_DIR/absent_options and the harness does not require them.
missing=(); absent=()
while read -r line; do
  case "$line" in
    CONFIG_*=y)
      opt=${line%%=*}
      grep -qx "$opt=y" "$obj/.config" && continue
      if grep -rqx --include='Kconfig*' "config ${opt#CONFIG_}" "$src"; then missing+=("$opt"); else absent+=("$opt"); fi ;;
  esac
done < "$frag"
printf '%s\n' "${absent[@]}" > "$out/absent_options"
if ((${#missing[@]})); then
  echo "kernel config: these options of the fragment did not survive olddefconfig: ${missing[*]}" >&2
  exit 1
fi
if ! make -C "$src" O="$obj" ARCH=x86_64 -j"$jobs" bzImage >> "$out/build.log" 2>&1; then
  echo "kernel build failed; last lines of $out/build.log:" >&2; tail -n 30 "$out/build.log" >&2; exit 1
fi
make -C "$src" O="$obj" ARCH=x86_64 headers >> "$out/build.log" 2>&1
cp "$obj/arch/x86/boot/bzImage" "$out/bzImage"
cp "$obj/.config" "$out/config"
rm -rf "$out/include"; cp -r "$obj/usr/include" "$out/include"
# The object tree is 1+ GB; keep only what the runner and the agent need.
rm -rf "$obj"
touch "$out/ok"
