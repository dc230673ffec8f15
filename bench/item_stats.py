"""Item statistics for 10,000 attempts × 100 items, against numpy on arrays in the same run.

    .venv/bin/python bench/item_stats.py [--attempts 10000] [--items 100] [--repeat 3] [--no-write]

Builds a seeded pool exam with a latent-ability model (2PL: each attempt has an
ability θ ~ N(0, 1), each item a difficulty b ~ N(0, 1) and a slope a ~ U(0.4, 2),
and P(right) = 1 / (1 + e^(−1.7·a·(θ − b))), so discrimination is positive), with
a few bad items (negative slope), a few very easy and very hard ones, 80
single-choice 1-point items (four options; a wrong answer picks a distractor,
more often the "attractive" one for stronger candidates on a few items), 10
dichotomous 2-point items and 10 essays marked 0–5 (partial credit). 60 items
are on every paper, and each paper draws 30 of the other 40 (None elsewhere),
as papers drawn from a pool are.

Then times, best of ``--repeat`` (5) rounds, the three runs alternating in each:

* ``lms.domain.item_analysis.analyse`` on lists (floats; and once more on
  Decimals, as the database hands scores over): every item statistic, the
  distractor tables, the paper statistics and the histogram;
* the same computation written directly in numpy on arrays (NaN for missing
  items): the same groups with the same tie rule, the same formulas; the
  arrays are built before the clock starts, and numpy's BLAS gets one thread
  (``OPENBLAS_NUM_THREADS=1`` unless set), as the analysis has. The results are compared
  (to 1e-9) before anything is reported, so both sides do the same work.

Rows go to ``bench/results/latest.json`` (database "none"): value = the pure
Python analysis, baseline = numpy, ratio = how many times slower. Nothing is
asserted; a ratio is expected — pure Python against vectorised C.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

# one thread for numpy's BLAS, as the pure analysis has one (and the box has two cores)
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import results  # noqa: E402

from lms.domain.item_analysis import ChoiceResponses, analyse  # noqa: E402

OPTIONS = ["a", "b", "c", "d"]


def build(attempts: int, width: int, seed: int = 20261124):
    """(scores as lists, max points, choices, the same as numpy arrays)."""
    rng = np.random.default_rng(seed)
    fixed = int(width * 0.6)
    drawn = width - fixed
    per_paper = int(drawn * 0.75)
    kinds = ["choice"] * int(width * 0.8) + ["double"] * (width // 10)
    kinds += ["essay"] * (width - len(kinds))
    kinds = [kinds[k] for k in rng.permutation(width)]
    maxima = np.array([{"choice": 1, "double": 2, "essay": 5}[k] for k in kinds], dtype=float)
    difficulty = rng.normal(0, 1, width)
    slope = rng.uniform(0.4, 2.0, width)
    slope[rng.choice(width, size=max(1, width // 25), replace=False)] *= -0.5  # bad items
    difficulty[rng.choice(width, size=max(1, width // 20), replace=False)] = -4  # too easy
    difficulty[rng.choice(width, size=max(1, width // 20), replace=False)] = 3  # too hard
    ability = rng.normal(0, 1, (attempts, 1))
    chance = 1 / (1 + np.exp(-1.7 * slope * (ability - difficulty)))
    marks = np.zeros((attempts, width))
    for j, kind in enumerate(kinds):
        if kind == "essay":
            marks[:, j] = rng.binomial(5, chance[:, j])
        else:
            marks[:, j] = (rng.random(attempts) < chance[:, j]) * maxima[j]
    on_paper = np.ones((attempts, width), dtype=bool)
    pool = np.arange(fixed, width)
    for i in range(attempts):
        on_paper[i, rng.choice(pool, size=drawn - per_paper, replace=False)] = False
    matrix = np.where(on_paper, marks, np.nan)

    # choices: the key is "a"; wrong answers pick b, c or d, or nothing (5 %); on a
    # few items "b" attracts the able (a distractor the upper group prefers)
    choice_items = [j for j, kind in enumerate(kinds) if kind == "choice"]
    attractive = set(choice_items[::10])
    codes = np.full((attempts, width), -2, dtype=np.int8)  # −2 not a choice item / not on paper
    for j in choice_items:
        right = marks[:, j] > 0
        wrong = rng.choice([1, 2, 3], size=attempts, p=[0.5, 0.3, 0.2])
        if j in attractive:
            wrong = np.where(ability[:, 0] > 0.5, 1, wrong)
        wrong = np.where(rng.random(attempts) < 0.05, -1, wrong)  # −1 chose nothing
        codes[:, j] = np.where(on_paper[:, j], np.where(right, 0, wrong), -2)

    scores = [[None if math.isnan(x) else x for x in row] for row in matrix.tolist()]
    choices = {}
    for j in choice_items:
        column = codes[:, j].tolist()
        choices[j] = ChoiceResponses(OPTIONS, {"a"},
                                     [OPTIONS[c] if c >= 0 else None for c in column])
    return scores, maxima.tolist(), choices, matrix, maxima, codes, choice_items


def numpy_analysis(matrix: np.ndarray, maxima: np.ndarray, codes: np.ndarray,
                   choice_items: list[int], fraction: float = 0.27) -> dict:
    """The statistics of `item_analysis.analyse`, vectorised (see its docstring)."""
    count = matrix.shape[0]
    have = ~np.isnan(matrix)
    x = np.where(have, matrix, 0.0)
    totals = x.sum(axis=1)
    paper_max = have @ maxima
    percentages = totals * 100 / paper_max
    n = have.sum(axis=0)
    mean = x.sum(axis=0) / n
    centred = np.where(have, x - mean, 0.0)
    variance = (centred ** 2).sum(axis=0) / n
    dichotomous = ((x == 0) | (x == maxima) | ~have).all(axis=0)

    size = int(np.floor(fraction * count + 0.5))
    order = np.argsort(totals, kind="stable")
    weights = []
    for key, ranked in ((totals, order[::-1]), (-totals, order)):
        cut = key[ranked[size - 1]]
        beyond = key > cut
        tied = key == cut
        weights.append(beyond + tied * ((size - beyond.sum()) / tied.sum()))
    upper, lower = weights
    mass_u = upper @ have
    mass_l = lower @ have
    p_upper = (upper @ x) / (mass_u * maxima)
    p_lower = (lower @ x) / (mass_l * maxima)

    rest = np.where(have, totals[:, None] - x, 0.0)
    rest_c = np.where(have, rest - rest.sum(axis=0) / n, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant item: r is NaN
        r = (centred * rest_c).sum(axis=0) / np.sqrt((centred ** 2).sum(axis=0)
                                                     * (rest_c ** 2).sum(axis=0))

    sub = codes[:, choice_items]
    present = sub != -2
    shares = {}
    for k in range(len(OPTIONS)):
        picked = sub == k
        shares[k] = (picked.sum(axis=0) / present.sum(axis=0),
                     (upper @ picked) / (upper @ present), (lower @ picked) / (lower @ present))
    omitted = (sub == -1).sum(axis=0) / present.sum(axis=0)

    common = have.all(axis=0)
    k = int(common.sum())
    score = x[:, common].sum(axis=1)
    alpha = k / (k - 1) * (1 - variance[common].sum() / score.var())
    sem = score.std(ddof=1) * np.sqrt(1 - alpha)
    bins = np.clip(np.floor(np.round(percentages / 10, 9)), 0, 9).astype(int)
    return {"facility": mean / maxima, "sd": np.sqrt(variance), "D": p_upper - p_lower,
            "r": r, "dichotomous": dichotomous, "shares": shares, "omitted": omitted,
            "mean": totals.mean(), "median": np.median(totals), "paper_sd": totals.std(ddof=1),
            "alpha": alpha, "sem": sem, "histogram": np.bincount(bins, minlength=10)}


def python_analysis(scores, maxima, choices):
    analysis = analyse(scores, maxima, choices=choices)
    return analysis, analysis.histogram()


def check(ours, histogram, theirs: dict, choice_items: list[int]) -> None:
    """Refuse to report unless both sides computed the same numbers."""
    def close(a, b):  # None (undefined) on our side is NaN on numpy's
        ours = np.array([np.nan if v is None else v for v in np.atleast_1d(a)], dtype=float)
        return np.allclose(ours, b, rtol=1e-9, atol=1e-9, equal_nan=True)

    items = ours.items
    assert close([i.facility for i in items], theirs["facility"])
    assert close([i.sd for i in items], theirs["sd"])
    assert close([i.discrimination for i in items], theirs["D"])
    assert close([i.item_rest_r for i in items], theirs["r"])
    assert [i.dichotomous for i in items] == theirs["dichotomous"].tolist()
    for position, j in enumerate(choice_items):
        for k, option in enumerate(items[j].options):
            overall, up, low = theirs["shares"][k]
            assert close([option.share, option.share_upper, option.share_lower],
                         [overall[position], up[position], low[position]])
        assert close(items[j].omitted, theirs["omitted"][position])
    paper = ours.paper
    assert close([paper.mean, paper.median, paper.sd, paper.reliability, paper.sem],
                 [theirs["mean"], theirs["median"], theirs["paper_sd"], theirs["alpha"],
                  theirs["sem"]])
    assert [b.count for b in histogram] == theirs["histogram"].tolist()


def timed(run: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def fmt(times: list[float]) -> str:
    return " ".join(f"{t:.3f}" for t in times)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--attempts", type=int, default=10_000)
    options.add_argument("--items", type=int, default=100)
    options.add_argument("--repeat", type=int, default=5)
    options.add_argument("--no-write", action="store_true", help="print only")
    args = options.parse_args()

    start = time.perf_counter()
    scores, maxima, choices, matrix, np_maxima, codes, choice_items = build(
        args.attempts, args.items)
    decimals = [[None if x is None else Decimal(int(x)) for x in row] for row in scores]
    print(f"built {args.attempts:,} attempts × {args.items} items "
          f"({sum(x is not None for row in scores for x in row):,} scores, "
          f"{len(choice_items)} choice items) in {time.perf_counter() - start:.1f} s")

    # interleaved, so that whatever else the machine does hits all three alike
    py_times, np_times, dec_times = [], [], []
    for _ in range(args.repeat):
        seconds, (ours, histogram) = timed(lambda: python_analysis(scores, maxima, choices))
        py_times.append(seconds)
        seconds, theirs = timed(lambda: numpy_analysis(matrix, np_maxima, codes, choice_items))
        np_times.append(seconds)
        dec_times.append(timed(lambda: python_analysis(decimals, maxima, choices))[0])
    check(ours, histogram, theirs, choice_items)

    python_s, numpy_s, decimal_s = min(py_times), min(np_times), min(dec_times)
    print(f"runs (s): analyse {fmt(py_times)}; numpy {fmt(np_times)}; "
          f"Decimal {fmt(dec_times)}")
    flagged = sum(bool(i.flags) for i in ours.items)
    paper = ours.paper
    print(f"paper: mean {paper.mean:.2f}, SD {paper.sd:.2f}, {paper.reliability_method} "
          f"{paper.reliability:.3f} over {paper.reliability_items} items, SEM {paper.sem:.2f}; "
          f"{flagged} items flagged")
    print(f"numpy on arrays:              {numpy_s:8.3f} s")
    print(f"item_analysis.analyse:        {python_s:8.3f} s  {python_s / numpy_s:6.1f}× numpy")
    print(f"item_analysis.analyse (Dec.): {decimal_s:8.3f} s  {decimal_s / numpy_s:6.1f}× numpy")
    size = f"{args.attempts:,} × {args.items}"
    rows = [results.row(f"item statistics, {size}", python_s, numpy_s, "s", "none"),
            results.row(f"item statistics, {size}, Decimal scores", decimal_s, numpy_s, "s",
                        "none")]
    if not args.no_write:
        results.merge(rows)
    print(results.table(rows, {rows[0]["name"]: "value < 10 s"}))


if __name__ == "__main__":
    main()
