#!/bin/sh
# Regenerates screenshots/*.svg with the real binary (120x36, sandbox seed 7).
# `cargo test --test headless render::screenshots` fails until the committed files match what the code draws.
set -eu
cd "$(dirname "$0")/.."
cargo build --quiet --bin opsdeck
bin="${CARGO_TARGET_DIR:-target}/debug/opsdeck"
# Every pane command (PaneId::ALL) and the extra views (screenshot::EXTRA_VIEWS).
for view in svc apps rollouts kafka pg logs traces requests audit incident alerts silences fire oncall pods events describe forwards card help palette kafka-groups pg-tree pg-kill pg-bulk pg-prepared pg-replication pg-statements pg-databases request-form kafka-topic kafka-configs kafka-group kafka-create kafka-diff kafka-peek apps-detail rollouts-detail trace logs-search logs-fields logs-json logs-histogram traces-map tour tours rollouts-pods describe-yaml apps-diff; do
    "$bin" screenshot --pane "$view" --size 120x36 --seed 7 --out "screenshots/$view.svg"
done
echo "screenshots/: $(ls screenshots/*.svg | wc -l) files"
