#!/usr/bin/env bash
# scripts/figures.py end to end: runs three shipped experiments (small), draws their figures and checks
# that the expected PDFs and PNGs exist and are what they say, that --only naming a figure the file
# cannot have exits 2, and that a missing file exits 2. Skipped (77) without python3, h5py and
# matplotlib.   usage: figures_test.sh PATH/TO/hedgelab
set -u
HEDGELAB=${1:?usage: figures_test.sh PATH/TO/hedgelab}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIGURES="$ROOT/scripts/figures.py"

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import h5py, matplotlib, numpy' >/dev/null 2>&1; then
  echo "figures: python deps missing"
  exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hedgelab_figures.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export MPLCONFIGDIR="$TMP/mpl"   # matplotlib's cache: somewhere writable and private

FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

run_study() {  # name experiment paths [extra --set ...]
  local name=$1 exp=$2 paths=$3
  shift 3
  if ! "$HEDGELAB" run "$ROOT/experiments/$exp.toml" -o "$TMP/$name.h5" --set "study.paths=$paths" "$@" --quiet; then
    fail "hedgelab run $exp"
    return 1
  fi
}

draw() {  # name
  local name=$1 out
  if ! out=$(python3 "$FIGURES" "$TMP/$name.h5" -o "$TMP/$name" 2>&1); then
    fail "figures.py $name: $out"
    return 1
  fi
  printf '%s\n' "$out" | sed "s|$TMP/||g; s|^|  $name: |"
}

is_pdf() { [ -s "$1" ] && [ "$(head -c 5 "$1")" = "%PDF-" ]; }
is_png() { [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

expect() {  # name figure...
  local name=$1 fig
  shift
  for fig in "$@"; do
    is_pdf "$TMP/$name/$fig.pdf" || fail "$name/$fig.pdf missing or not a PDF"
    is_png "$TMP/$name/$fig.png" || fail "$name/$fig.png missing or not a PNG"
  done
}

expect_absent() {  # name figure...: figures that do not fit the file are skipped
  local name=$1 fig
  shift
  for fig in "$@"; do
    [ ! -e "$TMP/$name/$fig.pdf" ] && [ ! -e "$TMP/$name/$fig.png" ] || fail "$name/$fig written but does not fit"
  done
}

expect_exit2() {  # description command...
  local what=$1 out rc
  shift
  out=$("$@" 2>&1)
  rc=$?
  [ "$rc" -eq 2 ] || fail "$what: exit $rc, expected 2"
  [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$what: expected one line, got: $out"
}

if run_study fvc frequency_vs_cost 5000 && draw fvc; then
  expect fvc std_vs_rebalances distributions frontier heatmap
  expect_absent fvc tails qq
fi
if run_study ivr implied_vs_realised 2000 --set output.samples=true && draw ivr; then
  expect ivr distributions tails qq
  expect_absent ivr std_vs_rebalances frontier heatmap
fi
if run_study bands bands 5000 && draw bands; then
  expect bands std_vs_rebalances distributions frontier
  expect_absent bands tails qq heatmap
fi

# --only and --format: just the figure asked for, in the format asked for
if [ -s "$TMP/fvc.h5" ]; then
  if python3 "$FIGURES" "$TMP/fvc.h5" -o "$TMP/only" --only heatmap --stat mean_cost --format png >/dev/null 2>&1; then
    is_png "$TMP/only/heatmap.png" || fail "--only heatmap --format png: no PNG"
    [ "$(ls "$TMP/only" | wc -l)" -eq 1 ] || fail "--only heatmap --format png wrote: $(ls "$TMP/only" | tr '\n' ' ')"
  else
    fail "--only heatmap --stat mean_cost --format png"
  fi
  expect_exit2 "--only qq without samples" python3 "$FIGURES" "$TMP/fvc.h5" -o "$TMP/unfit" --only qq
  [ ! -e "$TMP/unfit/qq.png" ] || fail "--only qq without samples wrote a figure"
  expect_exit2 "--only tails without a stress axis" python3 "$FIGURES" "$TMP/fvc.h5" -o "$TMP/unfit" --only tails
  expect_exit2 "--only with an unknown figure" python3 "$FIGURES" "$TMP/fvc.h5" -o "$TMP/unfit" --only nosuch
  expect_exit2 "--stat naming no column" python3 "$FIGURES" "$TMP/fvc.h5" -o "$TMP/unfit" --stat nosuch
fi
expect_exit2 "missing file" python3 "$FIGURES" "$TMP/does_not_exist.h5" -o "$TMP/missing"
printf 'not hdf5\n' > "$TMP/bogus.h5"
expect_exit2 "not an HDF5 file" python3 "$FIGURES" "$TMP/bogus.h5" -o "$TMP/bogus"

if [ "$FAILS" -ne 0 ]; then
  echo "figures: $FAILS failure(s)"
  exit 1
fi
echo "figures: ok"
