#!/usr/bin/env bash
# The distilled students of the long run (issue 9: CPU-fast; issue 13: video), resumable like the run itself.
# Once training/state/presets-multi has finished its schedule, distils one student per variant and preset
# from it into training/state/students/<variant>/<preset>/ (model/ in the Hub layout, fp16, and
# distill.json: the step and what it was distilled from). Each is written every 10 minutes and on
# SIGTERM/SIGINT, so the folder is the state to commit; running this again continues where it stopped and
# skips finished students. The teacher's paintings are cached in runs/teacher-cache (ignored; rebuilt in
# minutes on a new machine). Then: python -m training.ship_multi --state training/state/presets-multi
#   --students training/state/students/cpu --video-students training/state/students/video
# Run from the repository root. SIZE, PHOTOS, STEPS, OTHER_STEPS, LR, DETAIL (--detail-weight, 0.5),
# THREADS, VARIANTS and PRESETS override the defaults; INIT_DIR (laid out as training/state/students)
# warm-starts each student from one distilled from an earlier teacher: training/state/students-early holds
# those of the teacher at step 12,269 (then e.g. STEPS=1000 LR=1e-3 PHOTOS=1500).
# EARLY=1 THREADS=1 distils those early students beside the unfinished run (see below).
set -euo pipefail
cd "$(dirname "$0")/.."
python=python
[ -x .venv/bin/python ] && python=.venv/bin/python
teacher=training/state/presets-multi
out_root=training/state/students
cache=runs/teacher-cache${PHOTOS:+-$PHOTOS}  # one photo set per cache folder (its crops.npy)
if [ -n "${EARLY:-}" ]; then
    # Early students beside the unfinished run (its second lane): from a frozen copy of the teacher as it is
    # now, into training/state/students-early. On a machine without that copy, students begun from an older
    # one are kept as they are (they are only warm starts); with it, they continue.
    mkdir -p runs
    if [ ! -f runs/teacher-early/state.json ]; then
        cp -r "$teacher" runs/teacher-early
        keep_begun=1
    fi
    teacher=runs/teacher-early out_root=training/state/students-early cache=runs/teacher-cache-early
    PHOTOS=0
    STEPS=${STEPS:-1500}  # warm starts only: the teacher still moves (docs/training.md)
    DETAIL=${DETAIL:-0}
else
    "$python" - "$teacher" <<'PY'
import json, sys
state = json.load(open(f"{sys.argv[1]}/state.json"))
if state["step"] < state["settings"]["steps"]:
    sys.exit(f"the teacher is at step {state['step']} of {state['settings']['steps']}: finish training/long_run.sh first")
PY
fi
child=""
trap '[ -n "$child" ] && kill -TERM "$child" && wait "$child"; exit 143' TERM INT
for variant in ${VARIANTS:-video cpu}; do
    for preset in ${PRESETS:-van-gogh hokusai picasso kandinsky}; do
        out="$out_root/$variant/$preset"
        [ -n "${keep_begun:-}" ] && [ -f "$out/distill.json" ] && continue
        # A warm start: this preset's student of an earlier teacher (INIT_DIR), else (further from the goal,
        # so OTHER_STEPS, default 1.5 x STEPS) today's CPU-fast network or another preset's early student.
        init=() steps=${STEPS:-3000}
        if [ -n "${INIT_DIR:-}" ] && [ -f "$INIT_DIR/$variant/$preset/model/config.json" ]; then
            init=(--init "$INIT_DIR/$variant/$preset/model")
        else
            [ -n "${INIT_DIR:-}" ] && steps=${OTHER_STEPS:-$((steps * 3 / 2))}
            if [ "$variant" = cpu ]; then
                init=(--init "styles/$preset-cpu")
            else
                for other in "${INIT_DIR:-/nonexistent}/$variant"/*/model; do
                    [ -f "$other/config.json" ] && init=(--init "$other") && break
                done
            fi
        fi
        "$python" -m training.distill --teacher "$teacher" --preset "$preset" --variant "$variant" "${init[@]}" \
            --data "${NST_TRAIN_DATA:-../shared/datasets/photos256}" --cache "$cache" \
            --out "$out" --size "${SIZE:-256}" --photos "${PHOTOS:-0}" --batch-size 4 \
            --steps "$steps" --lr "${LR:-2e-3}" --detail-weight "${DETAIL:-0.5}" \
            --threads "${THREADS:-2}" --log-every 50 &
        child=$!
        wait "$child"
        child=""
    done
done
