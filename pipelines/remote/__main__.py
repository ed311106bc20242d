"""Deploy the generator pool on a running Ray cluster, for studios to join (`python app.py --generator ray://...`).

    python -m pipelines.remote --address auto --preset tiny --replicas 2
    python -m pipelines.remote --address auto --preset quality --replicas 4 --gpus-per-replica 1

Run it again with other settings to update the pool in place. The replicas keep running after this command ends;
`serve shutdown` on the cluster stops them.
"""
from __future__ import annotations

import argparse
import sys

from pipelines.backends import RayPool
from pipelines.base import ModelLoadError, SpeedOptions
from pipelines.presets import PRESETS


def parse(argv: list[str] | None) -> argparse.Namespace:
    defaults = RayPool("auto")
    parser = argparse.ArgumentParser(prog="python -m pipelines.remote", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", default="auto",
                        help="the cluster: auto (this machine is part of it) or ray://HOST:10001 (Ray Client)")
    parser.add_argument("--preset", default="tiny", choices=list(PRESETS), help="the models the replicas load")
    parser.add_argument("--app-name", default=defaults.app_name, help="the Serve application studios look for")
    parser.add_argument("--replicas", type=int, default=1, help="replicas at least (and at most, unless "
                                                                  "--max-replicas is more: then autoscaled)")
    parser.add_argument("--max-replicas", type=int, default=None)
    parser.add_argument("--gpus-per-replica", type=float, default=defaults.gpus_per_replica,
                        help="1: one replica per GPU; 0.5: two replicas share one")
    parser.add_argument("--cpus-per-replica", type=float, default=defaults.cpus_per_replica)
    parser.add_argument("--max-batch-size", type=int, default=defaults.max_batch_size,
                        help="requests a replica merges into one render when their settings allow")
    parser.add_argument("--batch-wait-s", type=float, default=defaults.batch_wait_s,
                        help="how long a replica waits for more requests to merge")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not (args.address == "auto" or args.address.startswith("ray://")):
        print(f"error: --address is auto or ray://HOST:PORT, not {args.address!r}: the pool lives on a running "
              f"cluster (`ray start --head ...`), which outlives this command.", file=sys.stderr)
        return 2
    most = max(args.max_replicas or args.replicas, args.replicas)
    pool = RayPool(args.address, args.app_name, args.replicas, most, args.gpus_per_replica, args.cpus_per_replica,
                   args.max_batch_size, args.batch_wait_s)
    from pipelines.remote.ray_cluster import join_cluster
    from pipelines.remote.ray_pool import deploy

    try:
        join_cluster(pool)
        handle = deploy(pool, PRESETS[args.preset], SpeedOptions())
        described = handle.describe.remote().result(timeout_s=120)
    except ModelLoadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"The generator pool '{pool.app_name}' is up: {described['model_id']} on "
          f"{described['environment']['device']}, {pool.min_replicas}-{pool.max_replicas} replicas.")
    print(f"Studios join it with: python app.py --preset {args.preset} --generator "
          f"{args.address if args.address.startswith('ray://') else 'ray://<head node>:10001'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
