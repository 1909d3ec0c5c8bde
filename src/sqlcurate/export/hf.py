"""``sqlcurate export --format hf``: a nanochat v1 checkpoint -> a Hugging Face model directory.

transformers 5 has nanochat's architecture (``NanoChatForCausalLM``: weightless RMSNorm after the
embedding and around each block, RoPE then QK-norm, ReLU² MLP, untied head, logit softcap 15), so the
export is a renaming of weights plus the files around them:

    config.json, generation_config.json, model.safetensors   (written by transformers' save_pretrained)
    tokenizer.json, tokenizer_config.json                    (nanochat's tiktoken BPE, converted)
    chat_template.jinja                                      (renders exactly render_for_completion's ids)
    README.md                                                (model card: base checkpoint, data, eval)

Two things differ from nanochat by construction and are set here: RMSNorm's epsilon (nanochat uses
float32's machine epsilon) and the vocabulary (nanochat pads its embedding and head to a multiple of 64;
the padded rows are never produced and are cut). One thing cannot be set: nanochat v1 rounds its RoPE
tables to bfloat16, transformers keeps them in float32, so logits agree to about 1e-3, not bit for bit
(docs/export.md has the measured figures).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlcurate.errors import SqlcurateError

CODES = {
    "EXPORT_NEEDS_TRANSFORMERS": "transformers >= 5 (with NanoChat) is not installed: pip install 'sqlcurate[export]'",
    "EXPORT_OUT_EXISTS": "the output directory exists and is not empty",
    "EXPORT_MODEL": "the checkpoint or its tokenizer could not be loaded",
    "EXPORT_PUSH": "the upload through huggingface_hub failed",
}

# nanochat v1 renders a chat as: <|bos|>, then per turn <|user_start|>text<|user_end|> or
# <|assistant_start|>text<|assistant_end|>; a system message is prepended to the first user message with
# a blank line. One line, no whitespace between tags: every character here becomes a token.
CHAT_TEMPLATE = (
    "{{- bos_token -}}"
    "{%- set ns = namespace(system='') -%}"
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'system' -%}{%- set ns.system = m['content'] + '\n\n' -%}"
    "{%- elif m['role'] == 'user' -%}<|user_start|>{{- ns.system + m['content'] -}}<|user_end|>{%- set ns.system = '' -%}"
    "{%- elif m['role'] == 'assistant' -%}<|assistant_start|>{{- m['content'] -}}<|assistant_end|>"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}<|assistant_start|>{%- endif -%}"
)


class ExportError(SqlcurateError):
    codes = CODES


@dataclass(frozen=True)
class ExportResult:
    out: Path
    files: list[str]
    parameters: int


def hf_config(model_config, tokenizer):
    from transformers import NanoChatConfig

    c = model_config
    return NanoChatConfig(
        vocab_size=c.vocab_size, hidden_size=c.n_embd, intermediate_size=4 * c.n_embd, num_hidden_layers=c.n_layer,
        num_attention_heads=c.n_head, num_key_value_heads=c.n_kv_head, max_position_embeddings=c.sequence_len,
        hidden_act="relu2", rms_norm_eps=float(_float32_eps()), final_logit_softcapping=15.0,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0}, tie_word_embeddings=False,
        bos_token_id=tokenizer.get_bos_token_id(), eos_token_id=_stop_ids(tokenizer), pad_token_id=None,
        dtype="float32",
    )


def _float32_eps() -> float:
    import torch

    return torch.finfo(torch.float32).eps


def _stop_ids(tokenizer) -> list[int]:
    """What ends a turn in nanochat's Engine: <|assistant_end|>, and <|bos|> (a new document)."""
    return [tokenizer.encode_special("<|assistant_end|>"), tokenizer.get_bos_token_id()]


def hf_state_dict(state: dict, vocab_size: int) -> dict:
    """nanochat v1 parameter names -> NanoChatForCausalLM's, padded vocabulary rows cut."""
    out = {"model.embed_tokens.weight": state["transformer.wte.weight"][:vocab_size],
           "lm_head.weight": state["lm_head.weight"][:vocab_size]}
    names = {"attn.c_q": "self_attn.q_proj", "attn.c_k": "self_attn.k_proj", "attn.c_v": "self_attn.v_proj",
             "attn.c_proj": "self_attn.o_proj", "mlp.c_fc": "mlp.fc1", "mlp.c_proj": "mlp.fc2"}
    for key, value in state.items():
        if key.startswith("transformer.h."):
            layer, rest = key.removeprefix("transformer.h.").split(".", 1)
            module = rest.removesuffix(".weight")
            out[f"model.layers.{layer}.{names[module]}.weight"] = value
    return {k: v.float().contiguous() for k, v in out.items()}


def hf_tokenizer(tokenizer, context: int):
    """nanochat's tiktoken encoding as a transformers fast tokenizer with the chat template."""
    import base64
    import tempfile

    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    enc = tokenizer.enc
    with tempfile.TemporaryDirectory() as tmp:
        ranks = Path(tmp) / "ranks.tiktoken"  # tiktoken's own file format: base64 token, rank
        ranks.write_text("".join(f"{base64.b64encode(t).decode()} {r}\n" for t, r in enc._mergeable_ranks.items()))
        converted = TikTokenConverter(vocab_file=str(ranks), pattern=enc._pat_str,
                                      extra_special_tokens=sorted(enc._special_tokens, key=enc._special_tokens.get)).converted()
    return PreTrainedTokenizerFast(tokenizer_object=converted, bos_token="<|bos|>", eos_token="<|assistant_end|>",
                                   pad_token="<|bos|>", chat_template=CHAT_TEMPLATE, clean_up_tokenization_spaces=False,
                                   model_max_length=context)


def model_card(label: str, meta: dict, eval_report: dict | None, build_report: dict | None = None) -> str:
    """The README: where the weights came from (lineage and data hash from the checkpoint's meta), what
    the training data was built from (``sqlcurate build``'s report) and how it scored (``sqlcurate eval``'s)."""
    parent = meta.get("parent") or {}
    rows = (meta.get("length_report") or {}).get("kept")
    lines = ["---", "library_name: transformers", "tags: [nanochat, sql, clickhouse, sqlcurate]", "---", "",
             f"# {label}", "", "A nanochat v1 model exported by `sqlcurate export --format hf`.", "",
             "| | |", "| --- | --- |",
             f"| base checkpoint | {parent.get('path', 'this checkpoint')} (step {parent.get('step', meta.get('step', '?'))}) |",
             f"| training data hash | {meta.get('data_hash', 'n/a (not an SFT checkpoint)')} |",
             f"| training conversations | {rows if rows is not None else 'n/a'} |",
             f"| step | {meta.get('step', '?')} |", ""]
    if build_report:
        lines += ["## Training data sources (sqlcurate build)", "", "| task | written | candidates |", "| --- | ---: | ---: |"]
        for task, counts in sorted((build_report.get("by_task") or {}).items()):
            lines.append(f"| {task or 'other'} | {counts.get('written', 0)} | {counts.get('candidates', 0)} |")
        lines += ["", f"Custom share of train: {build_report.get('custom_share', 1.0):.0%}; rejected by the checks: "
                      f"{build_report.get('rejected', 0)}.", ""]
    if eval_report:
        from sqlcurate.eval.report import METRICS

        lines += ["## Evaluation (sqlcurate eval)", "", "| run | items | " + " | ".join(METRICS.values()) + " |",
                  "| --- | ---: |" + " ---: |" * len(METRICS)]
        for run in eval_report.get("runs", []):
            t = run.get("totals", {})
            cells = [f"{t[m]['rate']:.1%}" if isinstance(t.get(m), dict) else "n/a" for m in METRICS]
            lines.append(f"| {run.get('label')} | {t.get('items', '?')} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Use", "", "```python", "from transformers import AutoModelForCausalLM, AutoTokenizer",
              "tok = AutoTokenizer.from_pretrained(PATH)", "model = AutoModelForCausalLM.from_pretrained(PATH)",
              "ids = tok.apply_chat_template([{'role': 'user', 'content': 'Daily trades?'}], add_generation_prompt=True, return_tensors='pt')",
              "print(tok.decode(model.generate(**ids, max_new_tokens=128, do_sample=False)[0]))", "```", ""]
    return "\n".join(lines)


def export_hf(checkpoint: Path, out: Path, tokenizer_dir: Path | None = None, eval_report: Path | None = None,
              build_report: Path | None = None) -> ExportResult:
    try:
        from transformers import GenerationConfig, NanoChatForCausalLM
    except ImportError:
        raise ExportError("EXPORT_NEEDS_TRANSFORMERS", CODES["EXPORT_NEEDS_TRANSFORMERS"]) from None
    from nanochat.checkpoint import IncompatibleCheckpoint
    from sqlcurate.eval.generate import load_for_inference

    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ExportError("EXPORT_OUT_EXISTS", f"{out} is not empty; choose a new directory")
    try:
        loaded = load_for_inference(checkpoint, device="cpu", tokenizer_dir=tokenizer_dir)
    except (FileNotFoundError, IncompatibleCheckpoint) as e:
        raise ExportError("EXPORT_MODEL", str(e)) from None
    config = hf_config(loaded.model.config, loaded.tokenizer)
    model = NanoChatForCausalLM(config)
    model.load_state_dict(hf_state_dict(loaded.model.state_dict(), config.vocab_size), strict=True)
    # no pad id in the model: nanochat has no padding token, and naming one (e.g. <|bos|>) makes generate
    # guess an attention mask that hides every such token in a prompt; batched callers pass their mask
    model.generation_config = GenerationConfig(bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id,
                                               do_sample=False)
    tmp = out.with_name(f".{out.name}.partial")
    model.save_pretrained(tmp, safe_serialization=True)
    hf_tokenizer(loaded.tokenizer, config.max_position_embeddings).save_pretrained(tmp)
    reports = [json.loads(Path(p).read_text(encoding="utf-8")) if p is not None else None for p in (eval_report, build_report)]
    (tmp / "README.md").write_text(model_card(loaded.label, loaded.meta, *reports), encoding="utf-8")
    if out.exists():
        out.rmdir()
    tmp.rename(out)  # the directory appears complete or not at all
    return ExportResult(out, sorted(p.name for p in out.iterdir()), sum(p.numel() for p in model.parameters()))


def push(out: Path, repo: str, token_env: str = "HF_TOKEN", private: bool = True) -> str:
    """Upload ``out`` to the Hub repo ``repo`` (created if missing); the token comes from ``token_env``.
    Returns the commit URL."""
    import os

    from huggingface_hub import HfApi

    api = HfApi(token=os.environ.get(token_env))
    try:
        api.create_repo(repo, repo_type="model", private=private, exist_ok=True)
        info = api.upload_folder(folder_path=str(out), repo_id=repo, repo_type="model",
                                 commit_message="sqlcurate export --format hf")
    except Exception as e:  # huggingface_hub raises many types (HTTP, auth, validation): all stop the push
        raise ExportError("EXPORT_PUSH", f"{repo}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
    return str(getattr(info, "commit_url", info))
