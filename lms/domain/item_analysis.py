"""Classical item analysis of an exam: ``analyse(scores, max_points, ...) -> Analysis``.

Input is plain data. ``scores`` is one row per attempt, one column per item of
the pool, each cell the item's score (float, int or Decimal) or ``None`` when
the item was not on that attempt's paper (papers are drawn from a pool, so
items are missing at random). ``max_points`` gives each item's maximum. For
choice items, `ChoiceResponses` give the option keys each attempt chose.
Everything is computed in binary floating point (Decimals are converted on
the way in); results are floats, ``None`` where a statistic is undefined.

Notation: N attempts; for item j, n_j attempts had it, x_ij is attempt i's
score on it, m_j its maximum; T_i is attempt i's total (the sum of the scores
on its paper) and R_ij = T_i − x_ij its rest score.

Per item (`ItemStats`):

* ``mean`` = Σ x_ij / n_j; **facility** p_j = mean / m_j (the share of the
  maximum earned; for 0/1 items the share answering correctly).
* ``sd``: the *population* standard deviation of the item score, in points,
  √(Σ (x_ij − mean)² / n_j). This is the classical-test-theory convention: for a
  dichotomous item it is m_j·√(p_j(1 − p_j)), the √(pq) of the textbooks, and it
  is the variance KR-20 and alpha below are built from.
* **discrimination index** D_j = p_upper − p_lower (Kelley's upper and lower
  27 %). The two groups are formed once, over all N attempts, by total score:
  each holds g = ⌊0.27·N + ½⌋ attempts (none when N < 2, so D is None).
  *Ties at the cut* are shared, not broken arbitrarily: the attempts strictly
  beyond the cut score count fully, and the attempts whose total equals the cut
  score share the group's remaining places equally (each with weight
  remaining ÷ tied), so the groups always weigh exactly g, do not depend on the
  order of the rows, and two attempts with the same total are treated alike
  (if every total is equal both groups are everyone at weight g/N and D = 0).
  For item j only the group members who had it count:
  p_upper = Σ w_i x_ij / (m_j Σ w_i) over upper members with the item (likewise
  p_lower); D is None if either group has no one who had the item.
* ``item_rest_r``: the Pearson correlation of x_ij with the rest score R_ij
  over the n_j attempts that had the item (for 0/1 items this *is* the
  point-biserial correlation; using the rest score instead of T_i removes the
  item's correlation with itself). Pearson's r does not depend on the variance
  denominator. None when n_j < 2 or either variable is constant.
* distractor analysis for choice items (`OptionStats`): per option, the share
  of the n_j attempts that chose it, and the weighted shares in the upper and
  lower groups (the same groups and weights as D). A wrong option chosen by a
  larger share of the upper group than of the lower is ``flagged``.
* ``flags`` (`Flag` codes, thresholds in `Thresholds`): D < 0 negative
  discrimination; 0 ≤ D < 0.2 low discrimination; p > 0.95 too easy;
  p < 0.2 too hard; a flagged distractor. A statistic that is None raises no
  flag.

Per paper (`PaperStats`): the number of attempts, mean, median and the
*sample* standard deviation of the totals, √(Σ (T_i − T̄)² / (N − 1)) — the
usual descriptive statistic for a group of candidates (as Moodle's quiz
statistics and spreadsheet STDEV report it); None when N < 2.

Reliability is computed over the items that *every* attempt had (the fixed
form: the whole paper when there is no pool, the common items when papers are
drawn from a pool), not over the attempts that had every item: with a random
draw from a pool almost no attempt has every pool item, so "complete cases"
would leave nothing, while the common items are one test that all N people
took. With k common items (k ≥ 2) and S_i the sum of attempt i's scores on them:

* all k items dichotomous (every score 0 or the item's maximum): **KR-20**
  = k/(k−1) · (1 − Σ m_j² p_j q_j / σ²_S); for 1-point items this is the
  textbook k/(k−1)(1 − Σpq/σ²), and m_j² p_j q_j is item j's variance in points;
* otherwise **Cronbach's alpha** = k/(k−1) · (1 − Σ σ²_j / σ²_S);

with population variances throughout (σ² = Σ (·−mean)²/N, as p·q is); the ratio
is the same with N − 1 in both, so alpha equals the sample-variance version.
The two formulas agree on dichotomous items; ``reliability_method`` says which
one was applied. None when k < 2 or σ²_S = 0. The **SEM** is
SD_S · √(1 − reliability), where SD_S is the sample SD of S, the score the
reliability is about; when every item is on every paper S is the total and
SD_S is the paper's SD. A negative alpha (items that do not hang together)
is reported as it is and gives an SEM larger than SD_S.

Facility, the group facilities, D and the option shares are rounded to 12
decimal places: the fractional weights of tied attempts make float noise
(1/3 − 1/3 = −5.6e-17), which must not turn into a "negative discrimination".

Histogram: `histogram` bins percentages of the maximum (total ÷ the maximum
of the attempt's own paper × 100) into equal bins over [0, 100], each
[low, high) except the last, which is closed; values outside the range
(negative marking) are counted in the end bins.

Ranking and the rest score use raw totals, which assumes the papers drawn
from a pool are parallel (the same points in all); `Analysis.percentages` is
there for papers that are not.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from operator import mul, sub

Number = float | int | Decimal


class Flag(StrEnum):
    """Why an item is worth a look; the value is a stable reason code."""

    NEGATIVE_DISCRIMINATION = "negative_discrimination"
    LOW_DISCRIMINATION = "low_discrimination"
    TOO_EASY = "too_easy"
    TOO_HARD = "too_hard"
    DISTRACTOR_FAVOURS_UPPER = "distractor_favours_upper"


class ReliabilityMethod(StrEnum):
    KR20 = "kr20"
    ALPHA = "alpha"


@dataclass(frozen=True)
class Thresholds:
    """Where the flags start; each comparison is strict (D < low, p > too_easy, p < too_hard)."""

    low_discrimination: float = 0.2
    too_easy: float = 0.95
    too_hard: float = 0.2
    group_fraction: float = 0.27  #: the share of attempts in each of the upper and lower groups


@dataclass(frozen=True)
class ChoiceResponses:
    """What the attempts chose on one choice item.

    ``chosen`` has one entry per attempt, aligned with the rows of ``scores``:
    an option key (single choice), a collection of keys (multiple choice), or
    ``None`` / empty when the attempt chose nothing. Entries of attempts that
    did not have the item (score None) are ignored. Keys chosen that are not in
    ``options`` are reported after them, in sorted order.
    """

    options: Sequence[str]
    correct: Collection[str]
    chosen: Sequence[str | Collection[str] | None]


@dataclass(frozen=True)
class OptionStats:
    key: str
    correct: bool
    share: float  #: of the attempts that had the item
    share_upper: float | None  #: weighted share in the upper group (None: nobody there had it)
    share_lower: float | None
    flagged: bool  #: a wrong option chosen more in the upper group than in the lower


@dataclass(frozen=True)
class ItemStats:
    index: int
    item_id: Hashable | None
    n: int
    max_points: float
    mean: float | None
    facility: float | None
    sd: float | None  #: population SD of the item score, in points
    upper_facility: float | None
    lower_facility: float | None
    discrimination: float | None  #: D = upper_facility − lower_facility
    item_rest_r: float | None
    dichotomous: bool  #: every score seen is 0 or the maximum
    options: tuple[OptionStats, ...] = ()
    omitted: float | None = None  #: share of the attempts with the item that chose nothing
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class PaperStats:
    attempts: int
    mean: float | None
    median: float | None
    sd: float | None  #: sample SD (N − 1) of the totals
    reliability: float | None
    reliability_method: ReliabilityMethod | None
    reliability_items: int  #: k, the items every attempt had
    reliability_sd: float | None  #: sample SD of the score over those k items
    sem: float | None


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class Analysis:
    items: tuple[ItemStats, ...]
    paper: PaperStats
    totals: tuple[float, ...] = field(repr=False)
    #: each attempt's total as a percentage of its own paper's maximum (None: empty paper)
    percentages: tuple[float | None, ...] = field(repr=False)

    def histogram(self, bins: int = 10) -> tuple[Bin, ...]:
        return histogram([p for p in self.percentages if p is not None], bins)


# ---------------------------------------------------------------- helpers


def histogram(values: Iterable[float], bins: int = 10, low: float = 0.0,
              high: float = 100.0) -> tuple[Bin, ...]:
    """Counts of ``values`` in ``bins`` equal bins over [low, high].

    Each bin is [low, high) except the last, which also takes ``high``; values
    below ``low`` count in the first bin and above ``high`` in the last. Bin
    positions are rounded to 9 decimals first, so 30.000000000001 (float noise
    in a percentage) lands in [30, 40).
    """
    if bins < 1 or not high > low:
        raise ValueError("histogram needs at least one bin and high > low")
    width = (high - low) / bins
    counts = [0] * bins
    for value in values:
        index = math.floor(round((float(value) - low) / width, 9))
        counts[min(max(index, 0), bins - 1)] += 1
    return tuple(Bin(low + k * width, low + (k + 1) * width, count)
                 for k, count in enumerate(counts))


def group_weights(totals: Sequence[float], fraction: float = 0.27
                  ) -> tuple[list[float], list[float]]:
    """The upper and lower group weights of each attempt (see the module docstring)."""
    count = len(totals)
    size = math.floor(fraction * count + 0.5) if count >= 2 else 0
    upper = [0.0] * count
    lower = [0.0] * count
    if size == 0:
        return upper, lower
    order = sorted(range(count), key=totals.__getitem__)
    for weights, ranked in ((upper, order[::-1]), (lower, order)):
        cut = totals[ranked[size - 1]]
        beyond = [i for i in ranked[:size] if totals[i] != cut]
        tied = [i for i in ranked if totals[i] == cut]
        share = (size - len(beyond)) / len(tied)
        for i in beyond:
            weights[i] = 1.0
        for i in tied:
            weights[i] = share
    return upper, lower


def _clean(proportion: float) -> float:
    """A proportion rounded to 12 decimals, so float noise cannot cross a flag's threshold."""
    return round(proportion, 12) + 0.0  # + 0.0 turns -0.0 into 0.0


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r by two passes over centred values; None if n < 2 or a variable is constant."""
    n = len(xs)
    if n < 2 or min(xs) == max(xs) or min(ys) == max(ys):
        return None
    mx = sum(xs) / n
    my = sum(ys) / n
    dx = [x - mx for x in xs]
    dy = [y - my for y in ys]
    sxy = sum(map(mul, dx, dy))
    sxx = sum(map(mul, dx, dx))
    syy = sum(map(mul, dy, dy))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _population_variance(values: Sequence[float], mean: float) -> float:
    if min(values) == max(values):
        return 0.0
    centred = [v - mean for v in values]
    return sum(map(mul, centred, centred)) / len(values)


def _sample_sd(values: Sequence[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return math.sqrt(_population_variance(values, mean) * len(values) / (len(values) - 1))


def _flags(facility: float | None, discrimination: float | None, distractor: bool,
           limits: Thresholds) -> tuple[Flag, ...]:
    flags = []
    if discrimination is not None:
        if discrimination < 0:
            flags.append(Flag.NEGATIVE_DISCRIMINATION)
        elif discrimination < limits.low_discrimination:
            flags.append(Flag.LOW_DISCRIMINATION)
    if facility is not None:
        if facility > limits.too_easy:
            flags.append(Flag.TOO_EASY)
        elif facility < limits.too_hard:
            flags.append(Flag.TOO_HARD)
    if distractor:
        flags.append(Flag.DISTRACTOR_FAVOURS_UPPER)
    return tuple(flags)


# ---------------------------------------------------------------- the analysis


def analyse(scores: Sequence[Sequence[Number | None]], max_points: Sequence[Number], *,
            choices: Mapping[int, ChoiceResponses] | None = None,
            item_ids: Sequence[Hashable] | None = None,
            thresholds: Thresholds | None = None) -> Analysis:
    """Item and paper statistics of ``scores`` (attempts × items); see the module docstring.

    ``choices`` maps an item's column index to what the attempts chose on it;
    ``item_ids`` names the columns in the result; ``thresholds`` default to
    `Thresholds()`. Raises ValueError when a row
    or ``item_ids`` does not have one entry per item, or a maximum is not positive.
    """
    maxima = [float(m) for m in max_points]
    width = len(maxima)
    if any(not m > 0 for m in maxima):
        raise ValueError("every item's max_points must be positive")
    if item_ids is not None and len(item_ids) != width:
        raise ValueError("item_ids must have one entry per item")
    rows = [[None if x is None else float(x) for x in row] for row in scores]
    for row in rows:
        if len(row) != width:
            raise ValueError(f"a row has {len(row)} scores for {width} items")
    count = len(rows)
    choices = choices or {}
    thresholds = thresholds or Thresholds()

    totals = [sum(x for x in row if x is not None) for row in rows]
    paper_max = [sum(m for x, m in zip(row, maxima, strict=True) if x is not None)
                 for row in rows]
    percentages = tuple(total * 100 / top if top else None
                        for total, top in zip(totals, paper_max, strict=True))
    upper, lower = group_weights(totals, thresholds.group_fraction)

    columns = list(zip(*rows, strict=True)) if rows else [() for _ in maxima]
    items = []
    common: list[tuple[int, float, bool]] = []  # (index, population variance, dichotomous)
    for j, (column, top) in enumerate(zip(columns, maxima, strict=True)):
        who = [i for i, x in enumerate(column) if x is not None]
        xs = [column[i] for i in who]
        n = len(xs)
        item_id = item_ids[j] if item_ids is not None else None
        if n == 0:
            items.append(ItemStats(j, item_id, 0, top, None, None, None, None, None, None,
                                   None, False))
            continue
        mean = sum(xs) / n
        variance = _population_variance(xs, mean)
        dichotomous = set(xs) <= {0.0, top}
        wu = list(map(upper.__getitem__, who))
        wl = list(map(lower.__getitem__, who))
        mass_u = sum(wu)
        mass_l = sum(wl)
        p_upper = _clean(sum(map(mul, wu, xs)) / (mass_u * top)) if mass_u else None
        p_lower = _clean(sum(map(mul, wl, xs)) / (mass_l * top)) if mass_l else None
        discrimination = (_clean(p_upper - p_lower)
                          if p_upper is not None and p_lower is not None else None)
        rest = list(map(sub, map(totals.__getitem__, who), xs))
        options: tuple[OptionStats, ...] = ()
        omitted = None
        if j in choices:
            options, omitted = _options(choices[j], who, wu, wl, mass_u, mass_l)
        facility = _clean(mean / top)
        items.append(ItemStats(
            index=j, item_id=item_id, n=n, max_points=top, mean=mean, facility=facility,
            sd=math.sqrt(variance), upper_facility=p_upper, lower_facility=p_lower,
            discrimination=discrimination, item_rest_r=_pearson(xs, rest),
            dichotomous=dichotomous, options=options, omitted=omitted,
            flags=_flags(facility, discrimination, any(o.flagged for o in options),
                         thresholds)))
        if n == count:
            common.append((j, variance, dichotomous))

    return Analysis(items=tuple(items), paper=_paper(totals, columns, common),
                    totals=tuple(totals), percentages=percentages)


def _options(responses: ChoiceResponses, who: list[int], wu: list[float], wl: list[float],
             mass_u: float, mass_l: float) -> tuple[tuple[OptionStats, ...], float]:
    keys = list(dict.fromkeys(responses.options))
    overall = dict.fromkeys(keys, 0)
    in_upper = dict.fromkeys(keys, 0.0)
    in_lower = dict.fromkeys(keys, 0.0)
    omitted = 0
    for picked, u, w in zip(map(responses.chosen.__getitem__, who), wu, wl, strict=True):
        if not picked:
            omitted += 1
            continue
        for key in (picked,) if isinstance(picked, str) else set(picked):
            if key in overall:
                overall[key] += 1
                in_upper[key] += u
                in_lower[key] += w
            else:
                overall[key], in_upper[key], in_lower[key] = 1, u, w
    keys += sorted(set(overall) - set(keys))
    n = len(who)
    correct = set(responses.correct)
    stats = []
    for key in keys:
        share_u = _clean(in_upper[key] / mass_u) if mass_u else None
        share_l = _clean(in_lower[key] / mass_l) if mass_l else None
        is_correct = key in correct
        flagged = (not is_correct and share_u is not None and share_l is not None
                   and share_u > share_l)
        stats.append(OptionStats(key, is_correct, overall[key] / n, share_u, share_l, flagged))
    return tuple(stats), omitted / n


def _paper(totals: list[float], columns: list, common: list[tuple[int, float, bool]]
           ) -> PaperStats:
    count = len(totals)
    mean = sum(totals) / count if count else None
    median = statistics.median(totals) if count else None
    sd = _sample_sd(totals)
    k = len(common)
    reliability = method = reliability_sd = sem = None
    if k >= 2:
        if k == len(columns):
            subset = totals
        else:
            subset = [sum(values) for values in zip(*(columns[j] for j, _, _ in common),
                                                    strict=True)]
        total_variance = _population_variance(subset, sum(subset) / count)
        reliability_sd = _sample_sd(subset)
        method = (ReliabilityMethod.KR20 if all(d for _, _, d in common)
                  else ReliabilityMethod.ALPHA)
        if total_variance > 0:
            reliability = k / (k - 1) * (1 - sum(v for _, v, _ in common) / total_variance)
            # alpha ≤ 1 in exact arithmetic; max() only absorbs rounding
            sem = reliability_sd * math.sqrt(max(0.0, 1 - reliability))
        else:
            method = None
    return PaperStats(attempts=count, mean=mean, median=median, sd=sd,
                      reliability=reliability, reliability_method=method,
                      reliability_items=k, reliability_sd=reliability_sd, sem=sem)
