#!/usr/bin/env bash
# On the GPU machine, from the repository root, with .gpu carried (see scripts/gpu_bundle.sh), through
# the device tool, one stage per call (each well inside its 10-minute limit):
#   run(command="bash scripts/gpu_run.sh tests",    carry=[".gpu"])  # CUDA tests, then the CPU suite
#   run(command="bash scripts/gpu_run.sh bench",    carry=[".gpu"])  # scripts/bench.py, CUDA then CPU
#   run(command="bash scripts/gpu_run.sh profile",  carry=[".gpu"])  # ncu on the three precisions' kernels
#   run(command="bash scripts/gpu_run.sh sanitize", carry=[".gpu"])  # compute-sanitizer memcheck, racecheck
#   run(command="bash scripts/gpu_run.sh scale",    carry=[".gpu"])  # 1e9 paths on the GPU, time and memory
# Everything it writes goes to $OUT (the device tool brings it back), or to /tmp/hedgelab_gpu without
# the tool: the logs, records.jsonl (append it to results/bench/records.jsonl here), ncu reports.
set -uo pipefail
stage="${1:-tests}"
export LD_LIBRARY_PATH="$PWD/.gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export HEDGELAB_SOURCE_DIR="$PWD"
export PYTHONUNBUFFERED=1
export PATH="$PATH:/usr/local/cuda/bin"  # ncu, compute-sanitizer
out="${OUT:-/tmp/hedgelab_gpu}"
mkdir -p "$out"
hl=.gpu/bin/hedgelab
[ -x "$hl" ] || { echo "gpu_run: .gpu/bin/hedgelab is missing: run scripts/gpu_bundle.sh here and carry .gpu" >&2; exit 1; }
nvidia-smi -L
"$hl" info
case "$stage" in
  tests)
    echo "== CUDA tests"
    .gpu/bin/hedgelab_cuda_tests 2>&1 | tee "$out/cuda_tests.log"
    echo "exit ${PIPESTATUS[0]}"
    echo "== CPU tests"
    .gpu/bin/hedgelab_tests --no-intro=true 2>&1 | tee "$out/cpu_tests.log" | tail -4
    ;;
  bench)
    # bench.py records the machine and the commit; the commit is the bundle's (git is there too).
    HEDGELAB="$hl" python3 scripts/bench.py --no-study --no-numpy --backends cuda --out "$out/records.jsonl"
    HEDGELAB="$hl" python3 scripts/bench.py --no-numpy --backends cpu --quick --out "$out/records.jsonl"
    ;;
  profile)
    # One launch of each precision's kernel at 1e6 paths x 252 steps, one cell (the issue's canonical
    # cell), clocks left alone (METHOD.md). Executed instructions per path-step = inst_executed x 32 /
    # (paths x steps); the pipes' and issue slots' utilisation against the bounds of docs/performance.md.
    metrics="smsp__inst_executed.sum,smsp__thread_inst_executed.sum,sm__inst_executed_pipe_fp64.sum"
    metrics+=",sm__pipe_fp64_cycles_active.avg.pct_of_peak_sustained_active,sm__inst_issued.avg.pct_of_peak_sustained_active"
    metrics+=",sm__warps_active.avg.pct_of_peak_sustained_active,gpu__time_duration.sum"
    metrics+=",l1tex__t_bytes_pipe_lsu_mem_local_op_ld.sum,l1tex__t_bytes_pipe_lsu_mem_local_op_st.sum"
    metrics+=",smsp__sass_average_branch_targets_threads_uniform.pct,launch__registers_per_thread"
    for p in fp64 fp32 mixed; do
      echo "== ncu $p"
      ncu --clock-control none --launch-count 1 --metrics "$metrics" --csv \
        "$hl" bench --backend cuda --paths 1000000 --steps 252 --repeat 1 --precision "$p" 2>&1 | tee "$out/ncu_$p.csv"
    done
    echo "== ncu fp64, full sections"
    ncu --clock-control none --launch-count 1 --set full -o "$out/ncu_fp64_full" \
      "$hl" bench --backend cuda --paths 1000000 --steps 252 --repeat 1 >/dev/null 2>&1 && echo "wrote ncu_fp64_full.ncu-rep"
    ;;
  sanitize)
    for tool in memcheck racecheck; do
      echo "== compute-sanitizer $tool"
      compute-sanitizer --tool "$tool" --error-exitcode 9 \
        "$hl" run experiments/merton_stress.toml --backend cuda --set study.paths=20000 -o /tmp/cs.h5 --quiet 2>&1 |
        tee "$out/sanitize_$tool.log" | tail -5
      echo "exit ${PIPESTATUS[0]}"
    done
    ;;
  scale)
    for n in 100000000 1000000000; do
      echo "== $n paths, derman_kamal with 4 rebalances, cuda"
      # wall time and peak RSS of the child (no /usr/bin/time needed)
      python3 - "$hl" "$n" <<'PY' 2>&1 | tee -a "$out/scale.log"
import resource, subprocess, sys, time
t0 = time.perf_counter()
r = subprocess.run([sys.argv[1], "run", "experiments/derman_kamal.toml", "--backend", "cuda", "--set",
                    f"study.paths={sys.argv[2]}", "--set", "hedge.rebalances=4", "-o", "/tmp/scale.h5", "--quiet"])
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
print(f"paths {sys.argv[2]}: exit {r.returncode}, wall {time.perf_counter() - t0:.1f} s, peak RSS {rss:.2f} GB")
PY
    done
    ;;
  *)
    echo "gpu_run: unknown stage '$stage' (tests, bench, profile, sanitize, scale)" >&2
    exit 2
    ;;
esac
