"""What a synthetic database is: its size, signal fraction and calendar, checked once up front.

Time runs in ``periods`` weeks from ``START``. Week k (1-based) holds rows with times in
(start + (k-1) weeks, start + k weeks]; the cutoff at the end of week k sees weeks 1..k, and its
label is decided by the customer's latent state of week k and realised in week k + 1. The binary families
ask :data:`QUERY` (a checkout next week?); the level family asks :data:`LEVEL_QUERY` (next week's basket).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from relpool.errors import RelpoolError

FORMATS = ("sqlite", "parquet")
# How the signal is planted: relpool.synth.draw, .interaction, .affinity, .sizes, .affinity_sizes, .affinity_level.
FAMILIES = ("signal", "interaction", "affinity", "sizes", "affinity_sizes", "affinity_level")
LEVEL_FAMILIES = ("affinity_level",)  # a regression label (a level), scored by R^2; the others are binary
MIRRORED = ("interaction", "affinity", "affinity_sizes")  # families that pair every signal row with a mirror
START = np.datetime64("2024-01-01T00:00:00", "s")
PERIOD_SECONDS = 7 * 24 * 3600
MIN_PERIODS = 5  # at least one training cutoff, validation, test, and the test label's week
QUERY = "PREDICT COUNT(sessions.* WHERE sessions.kind = 'checkout', 0, 7, days) > 0 FOR EACH customers.customer_id"
LEVEL_QUERY = (
    "PREDICT AVG(sessions.basket_value WHERE sessions.kind = 'checkout', 0, 7, days) FOR EACH customers.customer_id"
)


@dataclass(frozen=True)
class SynthSpec:
    entities: int  # customers
    rows_per_entity: int  # transactions per customer per week (the set one cutoff's recent week holds)
    snr: float  # fraction of a customer's transactions in a week that carry that week's signal
    seed: int = 0
    format: str = "sqlite"
    periods: int = 8  # weeks of history
    products: int = 1000
    sessions_per_period: int = 3  # browse/search sessions per customer per week (noise)
    # Binary families: P(label != latent state), so the Bayes-optimal AUROC is 1 - label_noise; the level
    # family: the variance of the label's noise, in units of the level's own spread (see affinity_level).
    label_noise: float = 0.1
    distractor_strength: float = 0.5  # log-odds of the latent state per unit of the static loyalty score
    family: str = "signal"
    size_spread: float = 100.0  # sizes families: max / min of a customer's weekly transaction count

    def __post_init__(self):
        if not (0 < self.snr <= 1):
            raise RelpoolError(f"--snr must be in (0, 1], got {self.snr}")
        if self.entities < 1:
            raise RelpoolError(f"--entities must be at least 1, got {self.entities}")
        if self.rows_per_entity < 1:
            raise RelpoolError(f"--rows-per-entity must be at least 1, got {self.rows_per_entity}")
        if self.format not in FORMATS:
            raise RelpoolError(f"--format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.periods < MIN_PERIODS:
            raise RelpoolError(f"--periods must be at least {MIN_PERIODS}, got {self.periods}")
        if self.signal_rows < 1:
            raise RelpoolError(
                f"--snr {self.snr} x --rows-per-entity {self.rows_per_entity} rounds to no signal row "
                f"per week; use --rows-per-entity >= {int(np.ceil(0.5 / self.snr))}"
            )
        if self.family not in FAMILIES:
            raise RelpoolError(f"--family must be one of {', '.join(FAMILIES)}, got {self.family!r}")
        if self.family in MIRRORED and 2 * self.signal_rows > self.rows_per_entity:
            raise RelpoolError(
                f"--family {self.family} mirrors every signal row in another row of the week, so --snr x "
                f"--rows-per-entity (rounded: {self.signal_rows}) must be at most half of {self.rows_per_entity}"
            )
        if self.size_spread < 1:
            raise RelpoolError(f"--size-spread must be at least 1 (max / min weekly rows), got {self.size_spread}")
        if self.family.startswith("affinity") and self.products < 100:
            raise RelpoolError(f"--family {self.family} needs at least 100 products, so every style has neighbours")
        if self.products < 20 or self.sessions_per_period < 1:
            raise RelpoolError("a synthetic shop needs at least 20 products and 1 session per customer and week")

    @property
    def query(self) -> str:
        return LEVEL_QUERY if self.family in LEVEL_FAMILIES else QUERY

    @property
    def metric(self) -> str:
        """What the oracle and the benchmarks score: R^2 for a level, AUROC for a state."""
        return "r2" if self.family in LEVEL_FAMILIES else "auroc"

    @property
    def signal_rows(self) -> int:
        """Signal transactions per customer per week: S x M rounded half up (the level family: the median count)."""
        return int(np.floor(self.snr * self.rows_per_entity + 0.5))

    def cutoff(self, k: int) -> np.datetime64:
        return START + np.timedelta64(k * PERIOD_SECONDS, "s")

    def cutoffs(self) -> dict[str, list[np.datetime64]]:
        """The cutoffs relpool chooses by default for :data:`QUERY` (weekly steps back from validation)."""
        p = self.periods
        return {
            "train": [self.cutoff(k) for k in range(1, p - 2)],
            "val": [self.cutoff(p - 2)],
            "test": [self.cutoff(p - 1)],
        }

    def to_dict(self) -> dict:
        return asdict(self)
