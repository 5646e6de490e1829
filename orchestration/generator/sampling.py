"""Vectorised sampling helpers and time units shared by the entity and activity models."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MINUTE = 60
HOUR = 3_600
DAY = 86_400
NULL = np.iinfo(np.int64).min  # null marker in integer (time, count, index) arrays
HISTORY_DAYS = 730  # history: the two years before end-date


@dataclass(frozen=True)
class Groups:
    """Members grouped by a label (contacts by account, users by business unit, ...).

    `pick` draws one member of each requested group in one vectorised step, which is how
    every "a contact of that account" in the model is chosen.
    """

    starts: np.ndarray
    counts: np.ndarray
    members: np.ndarray

    @classmethod
    def from_labels(cls, labels: np.ndarray, n_groups: int) -> Groups:
        labels = np.asarray(labels, dtype=np.int64)
        order = np.argsort(labels, kind="stable")
        members = order[labels[order] >= 0]
        counts = np.bincount(labels[labels >= 0], minlength=n_groups).astype(np.int64)
        starts = np.cumsum(counts) - counts
        return cls(starts=starts, counts=counts, members=members)

    @classmethod
    def from_pairs(cls, groups: np.ndarray, members: np.ndarray, n_groups: int) -> Groups:
        order = np.argsort(groups, kind="stable")
        counts = np.bincount(groups, minlength=n_groups).astype(np.int64)
        return cls(
            starts=np.cumsum(counts) - counts,
            counts=counts,
            members=np.asarray(members, dtype=np.int64)[order],
        )

    def pick(self, group: np.ndarray, u: np.ndarray, avoid: np.ndarray | None = None) -> np.ndarray:
        """One member per row of `group` (u uniform in [0, 1)); -1 for empty or -1 groups.

        With `avoid`, a member equal to it is replaced by the next member of its group, so
        "another contact of the account" is another one whenever the account has two.
        """
        group = np.asarray(group, dtype=np.int64)
        valid = group >= 0
        g = np.where(valid, group, 0)
        count = self.counts[g] if self.counts.size else np.zeros_like(g)
        ok = valid & (count > 0)
        if not ok.any():
            return np.full(group.shape, -1, dtype=np.int64)
        offset = np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
        start = np.where(ok, self.starts[g], 0)
        picked = np.where(ok, self.members[start + offset], -1)
        if avoid is not None:
            again = ok & (picked == avoid) & (count > 1)
            following = start + (offset + 1) % np.maximum(count, 1)
            picked = np.where(again, self.members[np.where(again, following, 0)], picked)
        return picked


def lognormal_int(rng: np.random.Generator, median: float, sigma: float, size) -> np.ndarray:
    return np.rint(rng.lognormal(np.log(median), sigma, size)).astype(np.int64)


def dates_between(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """A uniform instant (epoch seconds) in [low, high) per row; low where high <= low."""
    low = np.asarray(low, dtype=np.int64)
    high = np.maximum(np.asarray(high, dtype=np.int64), low)
    return low + (rng.random(low.size) * (high - low)).astype(np.int64)


def weighted_choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indexes drawn with probability proportional to weights (zero weight: never)."""
    cdf = np.cumsum(weights, dtype=np.float64)
    if size == 0 or cdf[-1] <= 0:
        return np.zeros(size, dtype=np.int64)
    picks = np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right")
    return np.minimum(picks, weights.size - 1).astype(np.int64)


def business_time(
    rng: np.random.Generator, low: np.ndarray, high: np.ndarray, slot_minutes: int = 1
) -> np.ndarray:
    """Instants in [low, high] on a weekday between 07:30 and 17:30 UTC where possible.

    A uniform instant is moved to a working hour of its day (and from a weekend to the
    Friday before); when the move would leave [low, high] the uniform instant is kept.
    """
    low = np.asarray(low, dtype=np.int64)
    high = np.maximum(np.asarray(high, dtype=np.int64), low)
    n = low.size
    raw = low + (rng.random(n) * (high - low)).astype(np.int64)
    day = raw // DAY
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    day = np.where(weekday >= 5, day - (weekday - 4), day)
    slots = (10 * 60) // slot_minutes
    time_of_day = 7 * HOUR + 30 * MINUTE + rng.integers(0, slots, n) * slot_minutes * MINUTE
    moved = day * DAY + time_of_day
    keep = (moved >= low) & (moved <= high)
    fallback = raw - raw % (slot_minutes * MINUTE)
    fallback = np.where(fallback >= low, fallback, raw)
    return np.where(keep, moved, fallback)
