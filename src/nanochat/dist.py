"""Distributed helpers: one process per GPU under torchrun (NCCL), or per CPU process (gloo) in tests.

torchrun sets RANK, LOCAL_RANK and WORLD_SIZE; without them the run is a single process. NVLink
multicast stays off in everything we start: on shared hosts a program using it can take every GPU of
the machine out of service.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

# Set for ourselves and inherited by anything we launch (torchrun workers, NCCL's own helpers).
NO_MULTICAST_ENV = {"NCCL_NVLS_ENABLE": "0", "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1", "NVSHMEM_DISABLE_NVLS": "1"}


def disable_multicast() -> None:
    os.environ.update(NO_MULTICAST_ENV)


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def is_ddp(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init(device_type: str) -> tuple[DistInfo, torch.device]:
    """Join the process group when launched by torchrun; pick this rank's device."""
    disable_multicast()
    if "RANK" not in os.environ or int(os.environ.get("WORLD_SIZE", "1")) == 1:
        device = torch.device("cuda", 0) if device_type == "cuda" else torch.device(device_type)
        return DistInfo(), device
    info = DistInfo(int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"]), int(os.environ["WORLD_SIZE"]))
    if device_type == "cuda":
        device = torch.device("cuda", info.local_rank)
        torch.cuda.set_device(device)
        dist.init_process_group("nccl", device_id=device)
    else:
        device = torch.device(device_type)
        dist.init_process_group("gloo")
    return info, device


def cleanup(info: DistInfo) -> None:
    if info.is_ddp and dist.is_initialized():
        dist.destroy_process_group()


# The last barrier's Work, held until the next barrier. gloo's worker thread drops its own reference
# after the barrier has returned; if that is the last one, it frees the Work's tensors and needs the GIL
# for it. When the main thread is at that moment freeing the DDP wrapper (the function that trained
# returns), the process group's destructor joins that worker while holding the GIL: a deadlock, seen
# under load as a rank that never exits after training. With a reference here the worker never frees
# the Work, and the group is destroyed while its threads are idle.
_last_barrier: list = []


def barrier(info: DistInfo) -> None:
    if info.is_ddp:
        work = dist.barrier(async_op=True)
        work.wait()
        _last_barrier[:] = [work]


def all_sum(info: DistInfo, values: list[float], device: torch.device) -> list[float]:
    """Sum a few floats over ranks (validation totals, logged losses)."""
    if not info.is_ddp:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


def min_over_ranks(info: DistInfo, value: int, device: torch.device) -> int:
    """The smallest of one int over ranks (the micro-batch every rank can afford)."""
    if not info.is_ddp:
        return value
    t = torch.tensor([value], dtype=torch.int64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return int(t.item())


def torchrun_argv(nproc: int, module_args: list[str]) -> list[str]:
    """The command that re-runs ``sqlcurate train`` under torchrun with ``nproc`` processes on this host."""
    return ["torchrun", "--standalone", f"--nproc_per_node={nproc}", "-m", "sqlcurate.commands.train", *module_args]
