# bench/lib.sh: what the bench scripts share. Sourced (after `set -euo pipefail`), not run.
#
# Needs $here (the bench directory); need_cordon sets $cordon_src (the cordon binary to measure).

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

need_cordon() {  # sets repo (the checkout) and cordon_src (CORDON, else build/cordon), which must run
  repo=$(cd "$here/.." && pwd)
  cordon_src=${CORDON:-$repo/build/cordon}
  [[ -x $cordon_src ]] || die "no cordon binary at $cordon_src (build first, or set CORDON)"
}

count() {  # count NAME DEFAULT MAX: a positive integer knob, bounded so that every loop ends
  local v=${!1:-$2}
  [[ $v =~ ^[0-9]+$ && $v -ge 1 && $v -le $3 ]] || die "$1 must be an integer in 1..$3 (got '$v')"
  printf '%s' "$v"
}

bench_cleanup() {  # cordon may still be removing its placeholders in the workspace: retry, bounded
  local i
  for i in 1 2 3 4 5 6; do
    rm -rf -- "$tmp" 2>/dev/null
    [[ -e $tmp ]] || return 0
    sleep 0.5
  done
  echo "bench: could not remove $tmp" >&2
}

# copy_cordon SRC DIR: cordon to DIR/cordon, with the sandbox's init image (cordon-init, next
# to SRC or in ../libexec/cordon) beside it, where cordon looks first. Without one, cordon
# runs its own image as the init (slower: say so).
copy_cordon() {
  cp "$1" "$2/cordon"
  local d init
  d=$(dirname "$1")
  for init in "$d/cordon-init" "$d/../libexec/cordon/cordon-init"; do
    if [[ -f $init && -x $init ]]; then
      cp "$init" "$2/cordon-init"
      return 0
    fi
  done
  echo "bench: no cordon-init next to $1: the sandbox's init is cordon's own image" >&2
}

# bench_setup NAME: one temporary directory ($tmp, removed on exit) holding cordon's state
# (XDG_STATE_HOME), $tmp/out, a private copy of the binary ($cordon: a concurrent rebuild of
# build/cordon cannot change it mid-run) and the interleaving timer ($timer, bench/timer.cpp).
bench_setup() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/cordon-$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  export XDG_STATE_HOME=$tmp/state
  mkdir -p "$tmp/out" "$XDG_STATE_HOME"
  copy_cordon "$cordon_src" "$tmp"
  cordon=$tmp/cordon
  timer=$tmp/timer
  c++ -std=c++20 -O2 -Wall -Wextra -o "$timer" "$here/timer.cpp" || die "cannot compile bench/timer.cpp"
}
