#!/usr/bin/env bash
# Checks the Debian package cpack made (scripts/test.sh runs it):
#   tests/package/check.sh build/cordon_VERSION_ARCH.deb [--install]
# Contents: the binary, the manual page cordon(1) naming every option of `cordon --help`
# (both come from one option table), the docs, the library dependencies. With --install
# (root, on a machine where the package may be installed: CI's fresh one), installs it
# with dpkg -i, runs the installed cordon, finds its man page, then removes it again.
# Last line: "package: N passed, N failed, N skipped".
set -uo pipefail
deb=${1:?usage: check.sh DEB [--install]}
install=${2:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/cordon-deb-XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0 skipped=0
check() {
  if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1 ${3:-}"; fi
}
ok() { "$@" >/dev/null 2>&1; echo $?; }

[ -f "$deb" ] || { echo "package: no file $deb"; echo "package: 0 passed, 1 failed"; exit 1; }
dpkg-deb -x "$deb" "$work/root"
listing=$(dpkg-deb -c "$deb")
for f in ./usr/bin/cordon ./usr/libexec/cordon/cordon-init ./usr/share/man/man1/cordon.1.gz \
         ./usr/share/doc/cordon/README.md \
         ./usr/share/doc/cordon/policy.md; do
  check "contains $f" "$(grep -qF " $f" <<<"$listing"; echo $?)"
done
# libseccomp is linked in from libseccomp-dev's static archive where the build had one
# (CMakeLists.txt); linked shared, the package must depend on it.
needed=$(readelf -d "$work/root/usr/bin/cordon" | grep NEEDED)
check "libseccomp linked in, or a declared dependency" \
  "$(! grep -q libseccomp <<<"$needed" || dpkg-deb -f "$deb" Depends | grep -q libseccomp2; echo $?)" \
  "$needed; Depends: $(dpkg-deb -f "$deb" Depends)"
check "cordon needs no libm (one shared library fewer at start)" "$(! grep -q libm <<<"$needed"; echo $?)" \
  "$needed"
check "packaged cordon runs" "$(ok "$work/root/usr/bin/cordon" --version)"
# The sandbox's init is its own static image (no interpreter: it starts without ld.so).
init_headers=$(readelf -lW "$work/root/usr/libexec/cordon/cordon-init" 2>&1)
check "packaged cordon-init is static (no interpreter)" \
  "$(grep -q LOAD <<<"$init_headers" && ! grep -q INTERP <<<"$init_headers"; echo $?)" \
  "$(grep -E 'INTERP|interpreter|Error' <<<"$init_headers")"
# ... and the packaged cordon finds it there (../libexec/cordon): pid 1's argv[0] names the image.
ws=$(mktemp -d "${TMPDIR:-/tmp}/cordon-deb-ws-XXXXXX")
check "packaged cordon runs cordon-init as the sandbox's pid 1" \
  "$(cd "$ws" && "$work/root/usr/bin/cordon" run --no-config -- head -c 12 /proc/1/cmdline | tr -d '\0' |
    grep -qx cordon-init; echo $?)"
rm -rf "$ws"

man_src=$(zcat "$work/root/usr/share/man/man1/cordon.1.gz")
check "man page is cordon(1)" "$(grep -q '^\.TH CORDON 1' <<<"$man_src"; echo $?)"
# Every option --help lists for each subcommand appears in the man page (roff: \-\-name).
missing=""
for sub in run explain check mcp; do
  for opt in $("$work/root/usr/bin/cordon" "$sub" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    grep -qF -- "$(sed 's/-/\\-/g' <<<"$opt")" <<<"$man_src" || missing+=" $sub$opt"
  done
done
check "man page lists every --help option" "$([ -z "$missing" ]; echo $?)" "missing:$missing"
if command -v man >/dev/null; then
  rendered=$(MANWIDTH=100 man -l "$work/root/usr/share/man/man1/cordon.1.gz" 2>"$work/man.err")
  check "man page renders without warnings" \
    "$(grep -q 'cordon run' <<<"$rendered" && [ ! -s "$work/man.err" ]; echo $?)" "$(cat "$work/man.err")"
fi

if [ "$install" = --install ]; then
  if [ "$(id -u)" -ne 0 ]; then
    check "install (needs root)" 1
  else
    check "dpkg -i" "$(ok dpkg -i "$deb")"
    check "installed cordon --version" "$(/usr/bin/cordon --version | grep -q '^cordon '; echo $?)"
    if grep -rqs 'path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d; then
      skipped=$((skipped + 1))  # minimal images tell dpkg to drop every man page
      echo "skip man -w cordon: /etc/dpkg/dpkg.cfg.d excludes /usr/share/man on this machine"
    else
      check "man -w cordon finds the packaged page" \
        "$([ "$(MANPATH=/usr/share/man man -w cordon 2>/dev/null)" = /usr/share/man/man1/cordon.1.gz ]; echo $?)"
    fi
    ws=$(mktemp -d /var/tmp/cordon-deb-ws-XXXXXX)
    check "installed cordon runs a sandboxed command" \
      "$(cd "$ws" && /usr/bin/cordon run --no-config -- sh -c 'echo in > inside.txt' && [ -f inside.txt ]; echo $?)"
    check "installed cordon runs its init from /usr/libexec/cordon" \
      "$(cd "$ws" && /usr/bin/cordon run --no-config -- head -c 12 /proc/1/cmdline | tr -d '\0' | grep -qx cordon-init; echo $?)"
    rm -rf "$ws"
    check "dpkg -r removes it" \
      "$(dpkg -r cordon >/dev/null 2>&1 && [ ! -e /usr/bin/cordon ] && [ ! -e /usr/libexec/cordon ]; echo $?)"
  fi
fi
echo "package: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
