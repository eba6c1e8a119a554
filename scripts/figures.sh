#!/usr/bin/env bash
# Regenerates every figure of docs/experiments.md from scratch: builds ammon if needed, runs the
# experiments (`ammon run`), analyses them (`ammon analyze`), executes every figure notebook
# headless (Debian's jupyter nbconvert) and writes the PNGs.
#
# Usage: scripts/figures.sh [--short] [--out DIR] [--build DIR] [--no-build] [-j N] [--no-run]
#                           [--help]
#   --short      shortened protocols and fewer seeds (a few minutes on 2 cores; what CI runs)
#   --out DIR    put everything under DIR: DIR/data (runs, analyses, logs), DIR/notebooks (the
#                executed notebooks) and DIR/figures (the PNGs). Default: runs and executed
#                notebooks under out/figures/, PNGs into notebooks/figures/.
#   --build DIR  the build folder (default build/release): configured if it is not, and ammon
#                brought up to date (`cmake --build --target ammon`)
#   --no-build   use DIR/ammon as it is (the ctest does: it runs inside the build)
#   -j N         runs at a time (default: the number of cores)
#   --no-run     keep the runs already in the data folder; execute the notebooks only
#
# Adding an experiment: write a function exp_NAME that queues its runs with `job NAME ARGS...`
# (one `ammon run` + optional `ammon analyze`), add NAME to EXPERIMENTS and its notebook(s) to
# NOTEBOOKS. Runs are independent; every one writes DATA/NAME.h5 (and DATA/NAME_analysis.h5).
# `reanalysis NAME SOURCE ARGS` queues another analysis of a queued run (DATA/NAME_analysis.h5),
# done after every run.
set -euo pipefail
# The whole script is one { } block: bash reads it completely before running it, so editing this
# file while a run is in progress does not change (or break) that run.
{
cd "$(dirname "$0")/.."
SRC=$(pwd)

short=0
norun=0
nobuild=0
out=""
build=build/release
jobs=$(nproc)
usage() { sed -n '2,/^[^#]/p' "$0" | sed -n 's/^# \{0,1\}//p'; }
while (($#)); do
  case "$1" in
    --short) short=1 ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    --build) build=${2:?--build needs a folder}; shift ;;
    --no-run) norun=1 ;;
    --no-build) nobuild=1 ;;
    -j) jobs=${2:?-j needs a number}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "figures.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [[ -n $out ]]; then
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  data=$out/data nbout=$out/notebooks figs=$out/figures
else
  data=$SRC/out/figures/data nbout=$SRC/out/figures/notebooks figs=$SRC/notebooks/figures
fi
if ((norun)); then
  [[ -d $data ]] || { echo "figures.sh: --no-run: no runs in $data" >&2; exit 2; }
  rm -rf "$nbout"
else
  rm -rf "$data" "$nbout"
fi
mkdir -p "$data" "$nbout" "$figs"

AMMON=$build/ammon
if ((!nobuild)); then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  echo "== ammon in $build"
  cmake --build "$build" -j"$jobs" --target ammon >/dev/null
fi
[[ -x $AMMON ]] || { echo "figures.sh: no $AMMON" >&2; exit 2; }
AMMON=$(cd "$(dirname "$AMMON")" && pwd)/ammon
CFG=$SRC/data/configs

# The queue: one line per run, NAME, CONFIG, RUN ARGS, ANALYZE ARGS ("-" = no analysis), separated
# by the ASCII unit separator (a non-blank separator keeps empty fields).
queue=$data/queue.tsv
: >"$queue"
job() {  # job NAME CONFIG "RUN ARGS" "ANALYZE ARGS|-"
  printf '%s\x1f%s\x1f%s\x1f%s\n' "$1" "$2" "$3" "$4" >>"$queue"
}
# Analyses of a queued run again with other parameters, after every run is done: one line per
# analysis, NAME (of the output), SOURCE (a queued run's NAME), ANALYZE ARGS.
requeue=$data/reanalysis.tsv
: >"$requeue"
reanalysis() {  # reanalysis NAME SOURCE "ANALYZE ARGS"
  printf '%s\x1f%s\x1f%s\n' "$1" "$2" "$3" >>"$requeue"
}
AN_NET="--set analysis.units=network --set analysis.si_shuffles=100"

# ---- experiments: one function each (what runs, full and --short)

exp_place_fields() {  # notebooks/place_fields.ipynb: linear track and open field
  if ((short)); then
    job linear_track linear_track.ini "--set 'protocol.epochs=run 10 laps'" "--set analysis.si_shuffles=100"
    job open_field open_field.ini "--set 'protocol.epochs=run 300 s'" "--set analysis.si_shuffles=100"
  else
    job linear_track linear_track.ini "" "--set analysis.si_shuffles=100"
    job open_field open_field.ini "" "--set analysis.si_shuffles=100"
  fi
}

exp_replay() {  # notebooks/replay.ipynb: the spiking CA3 network and the rate backend
  if ((short)); then
    job ca3_replay ca3_replay.ini "--set 'protocol.epochs=run 3 laps, rest 10 s, sleep 20 s'" \
      "$AN_NET --set analysis.spectrum_lo_hz=100"
  else
    job ca3_replay ca3_replay.ini "" "$AN_NET --set analysis.spectrum_lo_hz=100"
  fi
  job rate_replay rate_replay.ini "" "$AN_NET"
}

exp_reward_change() {  # notebooks/reward_change.ipynb: seeds 1-3, as science.reward_change
  local s
  if ((short)); then
    job reward_change_s1 reward_change.ini \
      "--seed 1 --set 'protocol.epochs=run 40 laps' --set 'reward.changes=lap 14 site 1 = 4, lap 28 site 1 = 0.25'" \
      "$AN_NET --set analysis.n_shuffles=200"
  else
    for s in 1 2 3; do job reward_change_s$s reward_change.ini "--seed $s" "$AN_NET"; done
  fi
}

exp_silencing() {  # notebooks/dopamine_silencing.ipynb: exp_reward_change with the VTA silenced
  local s
  if ((short)); then
    job reward_silenced_s1 reward_change.ini \
      "--seed 1 --set manipulation.silence_dopamine=true --set 'protocol.epochs=run 40 laps' --set 'reward.changes=lap 14 site 1 = 4, lap 28 site 1 = 0.25'" \
      "$AN_NET --set analysis.n_shuffles=200"
  else
    for s in 1 2 3; do
      job "reward_silenced_s$s" reward_change.ini "--seed $s --set manipulation.silence_dopamine=true" "$AN_NET"
    done
  fi
}

exp_dopamine() {  # notebooks/dopamine_shift.ipynb: cue -> reward, replay on and off
  local s seedlist="1 2 3" more=""
  if ((short)); then seedlist="1"; more="--set 'protocol.epochs=run 100 laps'"; fi
  for s in $seedlist; do
    job cue_replay_s$s cue_reward.ini "--seed $s $more" -
    job cue_noreplay_s$s cue_reward.ini "--seed $s --set td.replay=false $more" -
  done
}

exp_navigation() {  # notebooks/navigation.ipynb: T-maze, replay on / off / ripples disrupted
  local s seedlist="1 2 3 4 5 6 7 8 9 10" more=""
  if ((short)); then
    seedlist="1 2"
    more="--set 'protocol.epochs=run 80 laps' --set 'reward.changes=lap 40 site 2 = 0, lap 40 site 1 = 1'"
  fi
  for s in $seedlist; do
    job tmaze_replay_s$s tmaze_goal.ini "--seed $s $more" -
    job tmaze_noreplay_s$s tmaze_goal.ini "--seed $s --set td.replay=false $more" -
    job tmaze_disrupt_s$s tmaze_goal.ini "--seed $s --set manipulation.disrupt_ripples=true $more" -
  done
}

exp_reactivation() {  # notebooks/reactivation.ipynb: sleep, 10 laps, sleep; plastic and STDP off
  job prepost_sleep prepost_sleep.ini "" "$AN_NET"
  job prepost_sleep_off prepost_sleep.ini "--set network.stdp=off" "$AN_NET"
}

exp_disruption() {  # notebooks/disruption.ipynb: exp_replay's runs again with ripples disrupted
  local more=""
  if ((short)); then more="--set 'protocol.epochs=run 3 laps, rest 10 s, sleep 20 s'"; fi
  job ca3_disrupted ca3_replay.ini "$more --set manipulation.disrupt_ripples=true" \
    "$AN_NET --set analysis.spectrum_lo_hz=100"
  job rate_disrupted rate_replay.ini "--set manipulation.disrupt_ripples=true" "$AN_NET"
}

exp_awake_sleep() {  # notebooks/awake_sleep.ipynb: replay errors awake and asleep, seeds 1-3
  local s seedlist="1 2 3" more=""
  if ((short)); then
    seedlist="1"
    more="--set 'protocol.epochs=run 3 laps, sleep 30 s, run 3 laps, sleep 30 s'"
  fi
  for s in $seedlist; do job awake_sleep_s$s awake_sleep_td.ini "--seed $s $more" "$AN_NET"; done
}

exp_ensemble() {  # notebooks/ensemble_size.ipynb: exp_replay's runs analysed from samples of N cells
  local src n k ns="20 30 50 100 200" ks="1 2 3"
  if ((short)); then ns="30 50 200"; ks="1"; fi
  for src in rate_replay ca3_replay; do
    for n in $ns; do
      for k in $ks; do
        reanalysis "ens_${src}_n${n}_d$k" "$src" \
          "--set analysis.units=network --set analysis.si_shuffles=0 --set analysis.sample_cells=$n --set analysis.seed=$k"
      done
    done
  done
}

EXPERIMENTS=(place_fields replay reward_change silencing dopamine navigation reactivation disruption awake_sleep ensemble)
NOTEBOOKS=(place_fields replay reward_change dopamine_silencing dopamine_shift navigation reactivation disruption awake_sleep ensemble_size)

# ---- run

start=$(date +%s)
if ((!norun)); then
for e in "${EXPERIMENTS[@]}"; do "exp_$e"; done
echo "== $(wc -l <"$queue") runs, $jobs at a time, into $data"

run_one() {  # one queue line: run, then analyse; logs in DATA/NAME.log
  local name cfg rargs aargs
  IFS=$'\x1f' read -r name cfg rargs aargs <<<"$1"
  local log=$data/$name.log t0=$SECONDS
  if ! eval "\"$AMMON\" run \"$CFG/$cfg\" -o \"$data/$name.h5\" --quiet $rargs" >"$log" 2>&1; then
    echo "FAILED: ammon run $cfg $rargs (log: $log)"; tail -5 "$log"; return 1
  fi
  if [[ $aargs != "-" ]] && ! eval "\"$AMMON\" analyze \"$data/$name.h5\" \
      -o \"$data/${name}_analysis.h5\" --quiet $aargs" >>"$log" 2>&1; then
    echo "FAILED: ammon analyze $name $aargs (log: $log)"; tail -5 "$log"; return 1
  fi
  echo "  $name: $((SECONDS - t0)) s"
}
export -f run_one
export AMMON CFG data
if ! tr '\n' '\0' <"$queue" | xargs -0 -P "$jobs" -I{} bash -c 'run_one "$1"' _ {}; then
  echo "figures.sh: some runs failed" >&2
  exit 1
fi
reanalyze_one() {  # one reanalysis line
  local name src aargs
  IFS=$'\x1f' read -r name src aargs <<<"$1"
  if ! eval "\"$AMMON\" analyze \"$data/$src.h5\" -o \"$data/${name}_analysis.h5\" --quiet $aargs" \
      >"$data/$name.log" 2>&1; then
    echo "FAILED: ammon analyze $src $aargs (log: $data/$name.log)"; tail -5 "$data/$name.log"; return 1
  fi
}
export -f reanalyze_one
if [[ -s $requeue ]]; then
  echo "== $(wc -l <"$requeue") further analyses of those runs"
  if ! tr '\n' '\0' <"$requeue" | xargs -0 -P "$jobs" -I{} bash -c 'reanalyze_one "$1"' _ {}; then
    echo "figures.sh: some analyses failed" >&2
    exit 1
  fi
fi
echo "== runs done in $(($(date +%s) - start)) s"
fi

# ---- notebooks: executed headless, in a copy (the sources stay unexecuted)
export AMMON_FIG_DATA=$data AMMON_FIG_DIR=$figs
export PYTHONDONTWRITEBYTECODE=1  # no notebooks/__pycache__ in the source tree
if [[ ! -w ${HOME:-/nonexistent} ]]; then  # CI without a home: Jupyter, IPython and matplotlib
  scratch=$(mktemp -d)                       # need somewhere to write
  export JUPYTER_RUNTIME_DIR=$scratch/jupyter IPYTHONDIR=$scratch/ipython MPLCONFIGDIR=$scratch/mpl
fi
failed=0
for nb in "${NOTEBOOKS[@]}"; do
  t0=$SECONDS
  if /usr/bin/python3 -m nbconvert --to notebook --execute \
      --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 \
      --output-dir "$nbout" "$SRC/notebooks/$nb.ipynb" >"$nbout/$nb.log" 2>&1; then
    echo "  notebook $nb: $((SECONDS - t0)) s"
  else
    echo "FAILED: notebook $nb (log: $nbout/$nb.log)"; tail -20 "$nbout/$nb.log"; failed=1
  fi
done
echo "== figures in $figs ($(ls "$figs"/*.png 2>/dev/null | wc -l) PNGs), $(($(date +%s) - start)) s in all"
exit $failed
}
