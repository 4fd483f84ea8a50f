"""Join a Ray cluster, or start a quiet local Ray instance, and size the encoder pool to it."""

from __future__ import annotations

import logging

import ray
from ray.data import DataContext


def connect(address: str | None = None, progress: bool = False) -> None:
    """Use this process's Ray instance if there is one, else join ``address`` or start one.

    ``address=None`` starts a local instance on every core, without dashboard; ``"auto"`` joins
    the cluster this machine is part of, ``"ray://host:10001"`` a remote one. The instance stays
    up for later calls (``ray.shutdown()`` stops it). Ray logs errors only, unless ``progress``,
    which shows Ray Data's progress bars and execution log.
    """
    if not ray.is_initialized():
        ray.init(
            address=address,
            include_dashboard=False if address is None else None,
            logging_level=logging.ERROR,
            log_to_driver=False,
        )
    logging.getLogger("ray.data").setLevel(logging.INFO if progress else logging.ERROR)
    context = DataContext.get_current()
    context.enable_progress_bars = progress
    context.print_on_execution_start = progress


def default_workers(num_gpus: float | None) -> int:
    """Encoder actors to run: one per CPU of the cluster, or as many as its GPUs hold."""
    resources = ray.cluster_resources()
    if num_gpus:
        return max(1, int(resources.get("GPU", 0) / num_gpus))
    return max(1, int(resources.get("CPU", 1)))
