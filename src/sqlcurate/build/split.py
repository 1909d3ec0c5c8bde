"""Train/val split grouped by SQL template, and mixing in general data by explicit ratio only.

Split: every conversation gets a group key (its first SQL answer's template, else its doc section or
table), and a group goes wholly to train or to val by a seeded hash of the key, so no template is on
both sides and the split is stable when rows are added. Conversations sharing a template across tasks
(a query-log pair and its dialect-contrast pairs) share a group.

Mixing (the one implementation, for `build --mix` and `train --mix`): ``FILE:RATIO`` adds
``round(RATIO * custom train rows)`` rows of FILE (any input format), sampled without replacement with a
seeded reservoir (memory bounded by the sample), to train only. A file with fewer valid rows than asked
gives them all, with a warning (never repeats). Custom-only is the default; a custom share under
``MIN_CUSTOM_SHARE`` warns: 629 custom rows in 23K general ones taught a model nothing.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path

from sqlcurate.conversation import Conversation
from sqlcurate.formats.readers import read_file
from sqlcurate.sql.extract import extract_from_conversation
from sqlcurate.sql.fingerprint import fingerprint

CODES = {
    "MIX_BAD_SPEC": "a --mix argument that is not FILE:RATIO with a positive ratio",
    "MIX_BAD_LINE": "a line of a mix file that is not a valid conversation (quarantined)",
    "MIX_CUSTOM_SHARE_LOW": "after mixing, the custom data is under the minimum share of train",
}

MIN_CUSTOM_SHARE = 0.30


def group_key(conv: Conversation) -> str:
    spans = extract_from_conversation(conv)
    if spans:
        return "sql:" + fingerprint(spans[0].sql)
    meta = conv.meta
    if "doc_section" in meta:
        return "doc:" + meta["source"].rsplit(":", 1)[0] + ":" + "/".join(meta["doc_section"])
    return "other:" + ",".join(meta.get("tables", [])) + ":" + meta.get("question", "")


def _unit(key: str, seed: int) -> float:
    digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def split_grouped(convs: list[Conversation], val_fraction: float, seed: int) -> tuple[list[Conversation], list[Conversation]]:
    assert 0.0 <= val_fraction < 1.0, "--val-fraction must be in [0, 1)"
    keys = [group_key(c) for c in convs]
    units = {k: _unit(k, seed) for k in keys}
    val_groups = {k for k, u in units.items() if u < val_fraction}
    if val_fraction > 0 and not val_groups and len(units) > 1:
        val_groups = {min(units, key=units.get)}  # a tiny set: still give val one whole group
    train = [c for c, k in zip(convs, keys, strict=True) if k not in val_groups]
    val = [c for c, k in zip(convs, keys, strict=True) if k in val_groups]
    for c, k in zip(convs, keys, strict=True):
        c.meta["split_group"] = k
    return train, val


MIX_SPEC_HELP = "expected FILE:RATIO with RATIO > 0 (e.g. general.jsonl:0.5)"


def parse_mix_spec(text: str) -> tuple[Path, float] | None:
    """``FILE:RATIO`` (the last colon splits, so paths may hold colons) -> (path, ratio > 0), else None.
    The one grammar of ``--mix`` for `build` and `train`, which each report a bad one with their code."""
    path, _, ratio = text.rpartition(":")
    try:
        value = float(ratio)
    except ValueError:
        return None
    return (Path(path), value) if path and value > 0 else None


@dataclass
class MixSpec:
    path: Path
    ratio: float

    @classmethod
    def parse(cls, text: str) -> MixSpec:
        if (parsed := parse_mix_spec(text)) is None:
            raise ValueError(f"MIX_BAD_SPEC --mix {text!r}: {MIX_SPEC_HELP}")
        return cls(*parsed)


def sample_mix(spec: MixSpec, wanted: int, seed: int) -> tuple[list[Conversation], list[dict]]:
    """(``wanted`` conversations sampled from the file, quarantined bad lines with reasons)."""
    rng = random.Random(f"{seed}:{spec.path.name}")
    reservoir: list[Conversation] = []
    bad: list[dict] = []
    seen = 0
    # the project's readers: any input format, and the same line-level reason codes as validate
    for record in read_file(spec.path, "auto"):
        if record.blank:
            continue
        errors = [f for f in record.findings if f.severity == "error"]
        conv, line_no = record.conversation, record.line
        if conv is None or errors:
            problems = errors or record.findings
            bad.append({"source": str(spec.path), "line": line_no, "codes": ["MIX_BAD_LINE"] + [f.code for f in problems],
                        "reasons": [f.message for f in problems], "raw": record.raw})
            continue
        conv.meta = {"source": f"{spec.path}:{line_no}", "task": "mix"}
        seen += 1
        if len(reservoir) < wanted:
            reservoir.append(conv)
        elif (j := rng.randrange(seen)) < wanted:
            reservoir[j] = conv
    return reservoir, bad


@dataclass
class MixResult:
    added: list[Conversation] = field(default_factory=list)  # train only, after the custom rows
    bad_lines: list[dict] = field(default_factory=list)  # quarantine rows of the mix files, with reasons
    per_file: list[int] = field(default_factory=list)  # conversations added from each spec, in order
    warnings: list[str] = field(default_factory=list)
    custom_share: float = 1.0


def mix_general(custom_count: int, specs: list[MixSpec], seed: int) -> MixResult:
    """Sample every ``--mix`` file for a train set of ``custom_count`` custom conversations."""
    result = MixResult()
    for spec in specs:
        wanted = round(spec.ratio * custom_count)
        sample, bad = sample_mix(spec, wanted, seed)
        result.bad_lines.extend(bad)
        if len(sample) < wanted:
            result.warnings.append(f"{spec.path}: asked for {wanted} rows, the file has {len(sample)} valid ones")
        result.added.extend(sample)
        result.per_file.append(len(sample))
    total = custom_count + len(result.added)
    result.custom_share = round(custom_count / total, 4) if total else 1.0
    if result.added and result.custom_share < MIN_CUSTOM_SHARE:
        result.warnings.append(
            f"MIX_CUSTOM_SHARE_LOW custom rows are {result.custom_share:.0%} of train (under {MIN_CUSTOM_SHARE:.0%}): "
            f"{custom_count} custom among {total}; a small custom set diluted this far teaches little")
    return result
