"""Encode collections too large for one machine on a Ray cluster, then find their duplicates.

``encode_dataset`` embeds images with Ray Data into Parquet shards (layout in ``shards``),
resuming where an earlier run stopped; ``find_duplicates_from_parquet`` searches them and returns
the usual duplicate map; ``find_duplicates_on_ray`` runs that search itself on the cluster, writing
the pairs as Parquet (see ``ray_search``).
Needs the ``distributed`` extra: ``pip install 'imagededup[distributed]'``.
"""

try:
    import pyarrow  # noqa: F401
    import ray  # noqa: F401
except ImportError as exc:
    raise ImportError(
        "imagededup.distributed needs Ray and pyarrow: pip install 'imagededup[distributed]'"
    ) from exc

from imagededup.distributed.encode import EncodeResult, encode_dataset
from imagededup.distributed.ray_search import SearchSummary, find_duplicates_on_ray, read_pairs
from imagededup.distributed.search import find_duplicates_from_parquet

__all__ = [
    "EncodeResult",
    "SearchSummary",
    "encode_dataset",
    "find_duplicates_from_parquet",
    "find_duplicates_on_ray",
    "read_pairs",
]
