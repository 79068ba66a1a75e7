"""Spike detector quality on simulated coverage, and the coverage chart's render time.

    .venv/bin/python -m bench.spikes [--companies N] [--seed S] [--charts C] [--charts-only]

1. False alarms: for each base rate (0.5, 2, 5, 20 distinct stories a weekday; weekends and public
   holidays at half, the weekend ratio of nine dailies' RSS), N companies get 14 warm-up days and 60
   evaluated days of Poisson noise. Every alert that would be posted (a spike that starts that day) is
   a false alarm.
2. Detection: the same companies get one injected spike (2×, 3×, 5× the day's rate) on a random
   evaluated day; the share flagged as a spike on that first day is reported per sensitivity.
3. Chart: C renders of a 28-day chart with two labelled spikes (PNG bytes out), median and max.

The seed differs from the one the thresholds were chosen with (`--seed 1`), so the figures are not tuned on.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from datetime import date, timedelta

from briefings.signals.chart import SpikeMark, render_coverage_chart
from briefings.signals.spikes import (
    SENSITIVITIES,
    DayCount,
    Sensitivity,
    detect_spike,
    is_rest_day,
    spike_starts,
)

RATES = (0.5, 2.0, 5.0, 20.0)
MULTIPLIERS = (2.0, 3.0, 5.0)
WEEKEND = 0.5
WARMUP = 14
DAYS = 60
START = date(2026, 9, 1)


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's product of uniforms: exact, and fast enough for the rates simulated here."""
    limit = math.exp(-lam)
    k = 0
    p = rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def day_rate(base: float, day: date) -> float:
    # Public holidays (추석, 한글날 fall in the simulated weeks) are as quiet as weekends, as in real RSS.
    return base * (WEEKEND if is_rest_day(day) else 1.0)


def simulate(rng: random.Random, base: float, spike_at: int | None, multiplier: float) -> list[DayCount]:
    out = []
    for i in range(WARMUP + DAYS):
        d = START + timedelta(days=i)
        lam = day_rate(base, d) * (multiplier if i == spike_at else 1.0)
        n = poisson(rng, lam)
        # Outlets: each story is carried by one to three outlets out of 40 (not tested, only reported).
        out.append(DayCount(d, n, min(40, n + poisson(rng, n * 0.8))))
    return out


def false_alarms(rng: random.Random, companies: int) -> dict[tuple[float, Sensitivity], float]:
    result: dict[tuple[float, Sensitivity], float] = {}
    for base in RATES:
        series = [simulate(rng, base, None, 1.0) for _ in range(companies)]
        for level in SENSITIVITIES:
            alerts = 0
            for counts in series:
                for i in range(WARMUP, WARMUP + DAYS):
                    if spike_starts(counts[: i + 1], counts[i].day, observed_since=START, sensitivity=level):
                        alerts += 1
            result[(base, level)] = alerts / companies
    return result


def detection(rng: random.Random, companies: int) -> dict[tuple[float, float, Sensitivity], float]:
    result: dict[tuple[float, float, Sensitivity], float] = {}
    for base in RATES:
        for mult in MULTIPLIERS:
            cases = []
            for _ in range(companies):
                at = rng.randrange(WARMUP, WARMUP + DAYS)
                cases.append((at, simulate(rng, base, at, mult)))
            for level in SENSITIVITIES:
                hits = sum(
                    detect_spike(c[: at + 1], c[at].day, observed_since=START, sensitivity=level).is_spike
                    for at, c in cases
                )
                result[(base, mult, level)] = hits / companies
    return result


def chart_times(rng: random.Random, renders: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds per render: CPU time stays meaningful on a loaded machine."""
    days = [DayCount(START + timedelta(days=i), poisson(rng, 4), poisson(rng, 7)) for i in range(28)]
    marks = [
        SpikeMark(days[9].day, "화웨이, 새 스마트폰 공개하며 미국 제재 돌파 선언"),
        SpikeMark(days[20].day, "화웨이 반도체 자립 가속… 7나노 양산 확대"),
    ]
    times = []
    for _ in range(renders):
        t0, c0 = time.perf_counter(), time.process_time()
        png = render_coverage_chart("화웨이", days, marks)
        times.append((time.perf_counter() - t0, time.process_time() - c0))
        assert png.startswith(b"\x89PNG")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--charts", type=int, default=20)
    parser.add_argument("--charts-only", action="store_true", help="only the chart render time")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    if args.charts_only:
        report_charts(rng, args.charts)
        return
    t0 = time.perf_counter()
    fa = false_alarms(rng, args.companies)
    print(f"false alarms per company per {DAYS} days ({args.companies} companies a rate, seed {args.seed}):")
    print("| stories a weekday | " + " | ".join(SENSITIVITIES) + " |")
    print("| --- |" + " --- |" * len(SENSITIVITIES))
    for base in RATES:
        print(f"| {base:g} | " + " | ".join(f"{fa[(base, lv)]:.2f}" for lv in SENSITIVITIES) + " |")

    det = detection(rng, args.companies)
    print("\nshare of injected spikes flagged on their first day:")
    print("| stories a weekday | spike | " + " | ".join(SENSITIVITIES) + " |")
    print("| --- | --- |" + " --- |" * len(SENSITIVITIES))
    for base in RATES:
        for mult in MULTIPLIERS:
            cells = " | ".join(f"{det[(base, mult, lv)]:.0%}" for lv in SENSITIVITIES)
            print(f"| {base:g} | {mult:g}× | {cells} |")
    print(f"\nsimulation took {time.perf_counter() - t0:.1f} s")

    report_charts(rng, args.charts)


def report_charts(rng: random.Random, renders: int) -> None:
    # The first render loads the font and matplotlib's caches: reported apart from the steady state.
    times = chart_times(rng, renders + 1)
    wall = [w for w, _ in times[1:]]
    cpu = [c for _, c in times[1:]]
    print(
        f"chart 1000×500 PNG, 28 days, 2 labelled spikes: first {times[0][0] * 1000:.0f} ms wall, "
        f"then median {statistics.median(wall) * 1000:.0f} ms wall "
        f"({statistics.median(cpu) * 1000:.0f} ms CPU), "
        f"max {max(wall) * 1000:.0f} ms wall ({renders} renders)"
    )


if __name__ == "__main__":
    main()
