"""`make bench`: every benchmark in turn, each in its own process so one Kiwi or database never
skews the next. Figures go to README's Performance section by hand, with the machine and the date."""

from __future__ import annotations

import subprocess
import sys

BENCHES = (
    "bench.gather",
    "bench.digest",
    "bench.digest_scale",
    "bench.lookup",
    "bench.deliver",
    "bench.spikes",
    "bench.spike_review",
    "bench.alerts",
    "bench.pages",
    "bench.web",
)


def main(argv: list[str]) -> int:
    chosen = [b for b in BENCHES if not argv or b.split(".")[1] in argv]
    failed = []
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        if subprocess.call([sys.executable, "-m", name]) != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
