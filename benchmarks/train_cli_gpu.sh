#!/usr/bin/env bash
# `sqlcurate train` end to end on a GPU machine: the CLI (not just nanochat.sft) with automatic
# micro-batch sizing, bf16 and torch.compile on CUDA.
#   1. the demo d2 checkpoint, 3 epochs on the demo's curated data, then an interrupted + resumed run;
#   2. a d20-shaped model (random weights, the demo's 1000-token vocabulary) at 2048 positions, to watch
#      the micro-batch prober pick a size on a real card (2 optimizer steps).
# Needs the curated demo files (run `sqlcurate demo --skip-train` first) and writes under $OUT or /tmp.
set -euo pipefail
OUT=${OUT:-/tmp/train_cli_gpu}
DATA=${DATA:-.work/demo/training_data/curated}
mkdir -p "$OUT"
run() { echo "\$ sqlcurate $*"; python3 -m sqlcurate "$@"; }

run train --data "$DATA/train.jsonl" --val "$DATA/val.jsonl" --base src/sqlcurate/demo/assets/nanochat_base --out "$OUT/d2" \
    --tag full --epochs 3 --max-seq-len 1024 --target-batch-tokens 2048
run train --data "$DATA/train.jsonl" --val "$DATA/val.jsonl" --base src/sqlcurate/demo/assets/nanochat_base --out "$OUT/d2" \
    --tag cut --epochs 3 --max-seq-len 1024 --target-batch-tokens 2048 --stop-after-steps 12
run train --data "$DATA/train.jsonl" --val "$DATA/val.jsonl" --base src/sqlcurate/demo/assets/nanochat_base --out "$OUT/d2" \
    --tag cut --epochs 3 --max-seq-len 1024 --target-batch-tokens 2048 --resume
python3 - "$OUT/d2/chatsft_checkpoints" <<'PY'
import sys, torch
from pathlib import Path
root = Path(sys.argv[1])
last = lambda d: sorted(d.glob("model_*.pt"))[-1]
a = torch.load(last(root / "full"), weights_only=True); b = torch.load(last(root / "cut"), weights_only=True)
diff = max((a[k].float() - b[k].float()).abs().max().item() for k in a)
print(f"resumed vs uninterrupted: {last(root / 'full').name} vs {last(root / 'cut').name}, max |diff| = {diff:.3g}")
PY

python3 - "$OUT/d20base" <<'PY'
import sys, torch
from pathlib import Path
from nanochat.checkpoint import save_checkpoint
from nanochat.gpt import GPT, GPTConfig
cfg = GPTConfig(sequence_len=2048, vocab_size=1000, n_layer=20, n_head=10, n_kv_head=10, n_embd=1280)
with torch.device("meta"):
    model = GPT(cfg)
model.to_empty(device="cuda"); model.init_weights()
d = Path(sys.argv[1]) / "base_checkpoints" / "d20"
save_checkpoint(d, 0, model.state_dict(), {"step": 0, "model_config": cfg.__dict__})
print("wrote", d)
PY
mkdir -p "$OUT/d20base/tokenizer" && cp src/sqlcurate/demo/assets/nanochat_base/tokenizer/* "$OUT/d20base/tokenizer/"
python3 - "$OUT/long.jsonl" <<'PY'
import json, random, sys
rng = random.Random(0)
with open(sys.argv[1], "w") as fh:
    for i in range(3000):
        n = min(2000, int(rng.lognormvariate(5.6, 0.6)))
        body = " ".join(rng.choice(["SELECT", "pool_id", "sum(amount_usd)", "FROM", "dex.swaps", "GROUP BY", "LIMIT 10"]) for _ in range(n // 3))
        fh.write(json.dumps([{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": body}]) + "\n")
PY
run train --data "$OUT/long.jsonl" --base "$OUT/d20base" --out "$OUT/d20sft" --tag probe --epochs 1 \
    --max-seq-len 2048 --target-batch-tokens 262144 --stop-after-steps 2
nvidia-smi --query-gpu=name,memory.total --format=csv
