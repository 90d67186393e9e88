r"""A synthetic shop whose generating process is known, so the best possible ranking is known too.

The catalogue has :math:`N` items in :math:`C` categories with long-tailed (Zipf) popularity
:math:`\pi(i \mid c)` inside each category. Shopper :math:`u` has two category tastes,
:math:`\boldsymbol\theta^0_u` (at the start) and :math:`\boldsymbol\theta^1_u` (later), drawn
from a Dirichlet distribution, and drifts between them: after :math:`n` events the taste is

.. math::

    \boldsymbol\theta_u(n) = e^{-n/\tau}\,\boldsymbol\theta^0_u
        + (1 - e^{-n/\tau})\,\boldsymbol\theta^1_u,
    \qquad T_{u,n}(i) = \theta_{u,c(i)}(n)\,\pi(i \mid c(i)).

The next event after the history :math:`S = (s_1, \dots, s_n)`, :math:`n \ge 1`, starts a new
session with probability :math:`q` (then it is a taste draw). Within a session it is a
*complement* of the last item :math:`s_n` with probability :math:`a_c` (item :math:`i` has
:math:`K` complements in a partner category, the :math:`k`-th chosen with probability
:math:`p_k`), a *repeat* with probability :math:`a_r` (an earlier event is picked uniformly and
bought again if its category is consumable, otherwise the shopper browses by taste), and a
taste draw otherwise. Hence the true next-item distribution is

.. math::

    P(i \mid S, u) = \bigl(q + (1-q)(1 - a_c - a_r f_S)\bigr)\, T_{u,n}(i)
        + (1-q)\,a_c \sum_{k} p_k\,\mathbb{1}[i = \mathrm{comp}_k(s_n)]
        + (1-q)\,a_r\,\frac{\lvert\{t \le n : s_t = i\}\rvert}{n}\,\mathbb{1}[i \text{ consumable}],

where :math:`f_S` is the share of consumable items in :math:`S` (for :math:`n = 0`,
:math:`P = T_{u,0}`). :meth:`SyntheticShop.next_item_distribution` returns exactly this, so the
book can show the oracle's HR@K/NDCG@K ceiling next to every model. Event times: sessions start
after exponential gaps (days), events inside a session follow after short exponential gaps
(minutes); users start at uniformly random times in the first half of the time span.

Generation loops over positions (at most ``max_events_per_user`` steps), each step vectorised
over all users still active, so 1M events take a few seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from reclab.data.idmap import IdMapping
from reclab.data.sequences import Sequences

__all__ = ["ShopConfig", "ShopOracle", "SyntheticShop"]

logger = logging.getLogger(__name__)

_CATEGORY_NAMES = (
    "groceries", "coffee", "books", "phones", "phone cases", "laptops", "laptop bags", "cameras",
    "memory cards", "toys", "baby care", "garden", "tools", "sports", "outdoor", "music",
    "films", "beauty", "pet food", "stationery",
)  # fmt: skip


@dataclass(frozen=True)
class ShopConfig:
    """Parameters of :class:`SyntheticShop` (all have defaults; see the presets).

    Attributes:
        num_users: :math:`|\\mathcal{U}|`.
        num_items: :math:`N`.
        num_categories: :math:`C`.
        mean_events_per_user: target mean of :math:`T_u` (lengths are long-tailed: lognormal).
        min_events_per_user: lower bound of :math:`T_u`.
        max_events_per_user: upper bound of :math:`T_u`.
        popularity_exponent: Zipf exponent of :math:`\\pi(i \\mid c)` (rank ``r`` has weight
            ``r ** -exponent``).
        taste_concentration: Dirichlet concentration of the tastes (small: focused shoppers).
        session_end_prob: :math:`q`.
        complement_prob: :math:`a_c`.
        repeat_prob: :math:`a_r`.
        num_complements: :math:`K`; their probabilities :math:`p_k \\propto 2^{-k}`.
        consumable_share: share of categories whose items are bought repeatedly.
        drift_events: :math:`\\tau`, in events.
        start_time: the earliest timestamp (seconds since 1970; default 2024-01-01 UTC).
        span_days: users start within the first half of this span.
        session_gap_s: mean gap between sessions, in seconds.
        event_gap_s: mean gap between events of a session, in seconds.
        seed: the seed of everything random in the shop.
    """

    num_users: int = 1_000
    num_items: int = 500
    num_categories: int = 10
    mean_events_per_user: float = 50.0
    min_events_per_user: int = 5
    max_events_per_user: int = 2_000
    popularity_exponent: float = 1.0
    taste_concentration: float = 0.3
    session_end_prob: float = 0.25
    complement_prob: float = 0.35
    repeat_prob: float = 0.15
    num_complements: int = 3
    consumable_share: float = 0.3
    drift_events: float = 100.0
    start_time: int = 1_704_067_200
    span_days: float = 365.0
    session_gap_s: float = 2 * 86_400.0
    event_gap_s: float = 120.0
    seed: int = 0

    @classmethod
    def toy(cls, seed: int = 0) -> ShopConfig:
        """About 4,000 events: 200 users, 100 items, 5 categories (generates in well under 1 s)."""
        return cls(
            num_users=200, num_items=100, num_categories=5, mean_events_per_user=20, seed=seed
        )

    @classmethod
    def movielens_1m_like(cls, seed: int = 0) -> ShopConfig:
        """MovieLens-1M's size: 6,040 users, 3,706 items, about 1M events."""
        return cls(
            num_users=6_040,
            num_items=3_706,
            num_categories=18,
            mean_events_per_user=165.6,
            min_events_per_user=20,
            max_events_per_user=2_314,
            seed=seed,
        )

    def scaled(self, num_events: int) -> ShopConfig:
        """The same shop with ``num_users`` scaled to about ``num_events`` events in total."""
        users = max(1, round(num_events / self.mean_events_per_user))
        return replace(self, num_users=users)

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first parameter out of its range."""
        checks = [
            ("num_users", self.num_users >= 1, ">= 1"),
            ("num_categories", 1 <= self.num_categories <= self.num_items, "in 1..num_items"),
            ("num_items", self.num_items >= 2, ">= 2"),
            ("min_events_per_user", 1 <= self.min_events_per_user, ">= 1"),
            (
                "max_events_per_user",
                self.max_events_per_user >= self.min_events_per_user,
                ">= min_events_per_user",
            ),
            (
                "mean_events_per_user",
                self.min_events_per_user < self.mean_events_per_user <= self.max_events_per_user,
                "in (min_events_per_user, max_events_per_user]",
            ),
            ("session_end_prob", 0 <= self.session_end_prob <= 1, "in [0, 1]"),
            ("complement_prob", 0 <= self.complement_prob <= 1, "in [0, 1]"),
            ("repeat_prob", 0 <= self.repeat_prob <= 1 - self.complement_prob,
             "in [0, 1 - complement_prob]"),
            ("num_complements", self.num_complements >= 1, ">= 1"),
            ("consumable_share", 0 <= self.consumable_share <= 1, "in [0, 1]"),
            ("taste_concentration", self.taste_concentration > 0, "> 0"),
            ("drift_events", self.drift_events > 0, "> 0"),
        ]  # fmt: skip
        for name, ok, expected in checks:
            if not ok:
                raise ValueError(f"ShopConfig.{name}={getattr(self, name)!r}; expected {expected}")


class SyntheticShop:
    """A seeded shop simulator with a known next-item distribution (see the module docstring).

    Raw ids: items ``1..N``, users ``1..U``. Everything random comes from
    ``numpy.random.default_rng(config.seed)``: the same config gives the same catalogue, the
    same shoppers and the same events.

    Attributes:
        config: the :class:`ShopConfig`.
        items: one row per item: ``item_id``, ``title``, ``category``, ``genres`` (= category,
            for the MovieLens schema), ``consumable`` (bool), ``popularity`` (:math:`\\pi(i|c)`).

    Example:
        >>> shop = SyntheticShop(ShopConfig.toy())
        >>> events = shop.generate()
        >>> list(events.columns)
        ['user_id', 'item_id', 'timestamp']
        >>> p = shop.next_item_distribution(events.item_id[:3].to_numpy(), user=1)
        >>> p.shape, round(float(p.sum()), 6), float(p[0])
        ((101,), 1.0, 0.0)
    """

    def __init__(self, config: ShopConfig | None = None) -> None:
        self.config = config or ShopConfig()
        self.config.validate()
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        n_items, n_cat = cfg.num_items, cfg.num_categories
        # Catalogue: every category gets at least one item; ids 1..N (index 0 = padding).
        cat_share = rng.dirichlet(np.full(n_cat, 2.0))
        category = np.concatenate(
            [np.arange(n_cat), rng.choice(n_cat, size=n_items - n_cat, p=cat_share)]
        )
        category = rng.permutation(category)
        # Zipf popularity inside each category, over a random order of its items.
        shuffled = rng.permutation(n_items)
        rank = pd.Series(category[shuffled]).groupby(category[shuffled]).cumcount().to_numpy()
        weight = np.empty(n_items)
        weight[shuffled] = (rank + 1.0) ** (-cfg.popularity_exponent)
        within = weight / np.bincount(category, weights=weight, minlength=n_cat)[category]
        self._category = np.concatenate([[-1], category])  # (N+1,), -1 for padding
        self._popularity = np.concatenate([[0.0], within])  # (N+1,) pi(i | c(i))
        # Sampling an item of category c: searchsorted(c + u) in keys sorted by category.
        by_cat = np.lexsort((np.arange(n_items), category))
        cum = pd.Series(within[by_cat]).groupby(category[by_cat]).cumsum().to_numpy().copy()
        last = np.r_[category[by_cat][1:] != category[by_cat][:-1], True]
        cum[last] = 1.0
        self._cat_keys = category[by_cat] + cum
        self._cat_items = by_cat + 1  # item ids in key order
        # Consumable categories (repeat purchases) and complements in a partner category.
        consumable_cat = rng.random(n_cat) < cfg.consumable_share
        self._consumable = np.concatenate([[False], consumable_cat[category]])
        partner = rng.permutation(n_cat)
        k = cfg.num_complements
        comp_cat = np.repeat(partner[category], k)
        comp = self._sample_in_category(comp_cat, rng.random(n_items * k)).reshape(n_items, k)
        self._complements = np.vstack([np.zeros((1, k), dtype=np.int64), comp])  # (N+1, K)
        p = 0.5 ** np.arange(k)
        self._complement_prob = p / p.sum()
        self._complement_cdf = np.cumsum(self._complement_prob)
        self._complement_cdf[-1] = 1.0
        # Shoppers' tastes: Dirichlet around the category shares.
        alpha = cfg.taste_concentration * n_cat * cat_share
        self._theta0 = self._dirichlet(rng, alpha, cfg.num_users)
        self._theta1 = self._dirichlet(rng, alpha, cfg.num_users)
        self._rng_events = np.random.default_rng(rng.integers(2**63))
        names = [
            _CATEGORY_NAMES[c] if c < len(_CATEGORY_NAMES) else f"category {c + 1}"
            for c in range(n_cat)
        ]
        cat_names = np.array(names, dtype=object)[category]
        rank_in_cat = pd.Series(np.arange(n_items)).groupby(category).cumcount().to_numpy() + 1
        self.items = pd.DataFrame(
            {
                "item_id": np.arange(1, n_items + 1, dtype=np.int64),
                "title": [f"{c} #{r}" for c, r in zip(cat_names, rank_in_cat, strict=True)],
                "category": cat_names,
                "genres": cat_names,
                "consumable": self._consumable[1:],
                "popularity": within,
            }
        )

    @staticmethod
    def _dirichlet(rng: np.random.Generator, alpha: np.ndarray, size: int) -> np.ndarray:
        gamma = rng.gamma(alpha, size=(size, len(alpha))) + 1e-12
        theta = gamma / gamma.sum(axis=1, keepdims=True)
        cdf = np.cumsum(theta, axis=1)
        return np.stack([theta, cdf])  # (2, U, C): probabilities and their cumulative sums

    def _sample_in_category(self, category: np.ndarray, u: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self._cat_keys, category + u, side="right")
        return self._cat_items[np.minimum(pos, len(self._cat_keys) - 1)]

    def _drift(self, n: np.ndarray | int) -> np.ndarray:
        return 1.0 - np.exp(-np.asarray(n, dtype=np.float64) / self.config.drift_events)

    def _sample_taste(self, users: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        late = rng.random(len(users)) < self._drift(n)
        cdf = np.where(late[:, None], self._theta1[1][users], self._theta0[1][users])  # (k, C)
        category = (cdf <= rng.random(len(users))[:, None]).sum(axis=1)
        category = np.minimum(category, self.config.num_categories - 1)
        return self._sample_in_category(category, rng.random(len(users)))

    def _sample_lengths(self, rng: np.random.Generator) -> np.ndarray:
        cfg = self.config
        sigma = 1.0
        excess = cfg.mean_events_per_user - cfg.min_events_per_user
        mu = np.log(excess) - sigma**2 / 2
        lengths = cfg.min_events_per_user + np.floor(rng.lognormal(mu, sigma, cfg.num_users))
        return np.minimum(lengths, cfg.max_events_per_user).astype(np.int64)

    def generate(self) -> pd.DataFrame:
        """Simulate every shopper's events (deterministic for a given config).

        Returns:
            The interaction schema with ``user_id`` (1..U), ``item_id`` (1..N), ``timestamp``
            (int64 seconds, strictly increasing within a user), sorted by user then time.
        """
        cfg = self.config
        rng = np.random.default_rng(self._rng_events.bit_generator.seed_seq)  # same every call
        lengths = self._sample_lengths(rng)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        items = np.zeros(offsets[-1], dtype=np.int64)
        new_session = np.zeros(offsets[-1], dtype=bool)
        by_length = np.argsort(-lengths, kind="stable")
        active_counts = len(lengths) - np.searchsorted(
            np.sort(lengths), np.arange(lengths.max()), side="right"
        )
        q, a_c, a_r = cfg.session_end_prob, cfg.complement_prob, cfg.repeat_prob
        for n, k in enumerate(active_counts):
            users = by_length[:k]
            start = offsets[users]
            chosen = self._sample_taste(users, n, rng)
            if n == 0:
                new_session[start] = True
            else:
                new = rng.random(k) < q
                r = rng.random(k)
                complement = ~new & (r < a_c)
                repeat = ~new & (r >= a_c) & (r < a_c + a_r)
                last = items[start + n - 1]
                slot = np.searchsorted(self._complement_cdf, rng.random(k), side="right")
                slot = np.minimum(slot, cfg.num_complements - 1)
                chosen = np.where(complement, self._complements[last, slot], chosen)
                earlier = items[start + (rng.random(k) * n).astype(np.int64)]
                chosen = np.where(repeat & self._consumable[earlier], earlier, chosen)
                new_session[start + n] = new
            items[start + n] = chosen
        gaps = np.where(
            new_session, rng.exponential(cfg.session_gap_s, len(items)),
            rng.exponential(cfg.event_gap_s, len(items)),
        )  # fmt: skip
        gaps = np.floor(gaps).astype(np.int64) + 1
        first = offsets[:-1]
        user_start = cfg.start_time + np.floor(
            rng.random(cfg.num_users) * cfg.span_days * 86_400 / 2
        ).astype(np.int64)
        gaps[first] = 0
        clock = np.cumsum(gaps)
        timestamps = clock - np.repeat(clock[first], lengths) + np.repeat(user_start, lengths)
        events = pd.DataFrame(
            {
                "user_id": np.repeat(np.arange(1, cfg.num_users + 1, dtype=np.int64), lengths),
                "item_id": items,
                "timestamp": timestamps,
            }
        )
        logger.info(
            "SyntheticShop.generate: %d events, %d users, %d items",
            len(events),
            cfg.num_users,
            cfg.num_items,
        )
        return events

    def next_item_distribution(self, history: np.ndarray, user: int | None = None) -> np.ndarray:
        """The true probability of every item being the next one after ``history``.

        Args:
            history: shape ``(n,)``, the user's raw item ids so far, oldest first: all of them,
                as generated (no filtering: the repeat term and the drift count all events).
            user: the raw user id (1..U) for the user's own tastes. ``None`` uses the average
                taste of all shoppers, an approximation (not the posterior given the history).

        Returns:
            Shape ``(N + 1,)``, ``p[i]`` for raw item id ``i``; ``p[0] = 0`` (padding);
            sums to 1.
        """
        users = None if user is None else np.array([user])
        return self._distributions([np.asarray(history, dtype=np.int64)], users)[0]

    def _distributions(self, histories: list[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        cfg = self.config
        n_rows, n_ids = len(histories), cfg.num_items + 1
        lengths = np.array([len(h) for h in histories], dtype=np.int64)
        flat = np.concatenate(histories) if n_rows else np.zeros(0, dtype=np.int64)
        if flat.size and (flat.min() < 1 or flat.max() > cfg.num_items):
            raise ValueError(
                f"history item ids must be raw shop ids in 1..{cfg.num_items}, got "
                f"{flat.min()}..{flat.max()}"
            )
        if users is None:
            theta0 = np.broadcast_to(self._theta0[0].mean(axis=0), (n_rows, cfg.num_categories))
            theta1 = np.broadcast_to(self._theta1[0].mean(axis=0), (n_rows, cfg.num_categories))
        else:
            users = np.asarray(users, dtype=np.int64)
            if users.min() < 1 or users.max() > cfg.num_users:
                shown = users.tolist()[:5]
                raise ValueError(f"user ids must be in 1..{cfg.num_users}, got {shown}")
            theta0, theta1 = self._theta0[0][users - 1], self._theta1[0][users - 1]
        w = self._drift(lengths)[:, None]
        theta = (1.0 - w) * theta0 + w * theta1  # (B, C)
        taste = np.zeros((n_rows, n_ids))
        taste[:, 1:] = theta[:, self._category[1:]] * self._popularity[1:]
        q, a_c, a_r = cfg.session_end_prob, cfg.complement_prob, cfg.repeat_prob
        rows = np.repeat(np.arange(n_rows), lengths)
        consumable = self._consumable[flat]
        share = np.bincount(rows[consumable], minlength=n_rows) / np.maximum(lengths, 1)
        has = lengths > 0
        taste_weight = np.where(has, q + (1 - q) * (1 - a_c - a_r * share), 1.0)
        probs = taste_weight[:, None] * taste
        if has.any():
            last = flat[np.cumsum(lengths)[has] - 1]
            comp_rows = np.repeat(np.flatnonzero(has), cfg.num_complements)
            comp_mass = np.tile((1 - q) * a_c * self._complement_prob, int(has.sum()))
            np.add.at(probs, (comp_rows, self._complements[last].ravel()), comp_mass)
            rep_mass = (1 - q) * a_r / lengths[rows[consumable]]
            np.add.at(probs, (rows[consumable], flat[consumable]), rep_mass)
        return probs

    def oracle(self, items: IdMapping, users: IdMapping) -> ShopOracle:
        """The oracle as a model: scores encoded histories and users with the true
        probabilities (see :class:`ShopOracle`).

        Args:
            items, users: the id mappings of the prepared data (``NextItemData.items`` and
                ``.users``), to decode the inputs and encode the columns.
        """
        return ShopOracle(self, items, users)

    def oracle_scores(
        self,
        history: Sequences,
        targets: pd.DataFrame,
        *,
        item_mapping: IdMapping | None = None,
    ) -> np.ndarray:
        """The oracle's scores (true probabilities) for each held-out event, as a model's scores.

        Rows follow :func:`reclab.data.evaluation_arrays` (the held-out events of ``targets``
        whose user has a history, in order), so they line up with the evaluation batches.
        Rank the columns by score to get the best possible ranking; its HR@K and NDCG@K are the
        ceiling of any model on this data.

        Args:
            history: the users' full histories before the held-out event, with **raw user ids**
                (``encode_split(..., encode_users=False)``); item ids raw, or encoded with
                ``item_mapping``.
            targets: held-out events with ``user_id`` (raw) and ``item_id``.
            item_mapping: when the histories use encoded item ids: they are decoded, and the
                returned columns are encoded ids ``0..N'`` (items missing from the mapping are
                left out; column 0 is padding, score 0).

        Returns:
            Shape ``(B, n_ids)`` float64 where ``n_ids`` is ``N + 1`` (raw) or
            ``item_mapping.num_ids``.
        """
        users = targets["user_id"].to_numpy(dtype=np.int64)
        pos = np.minimum(np.searchsorted(history.users, users), max(len(history.users) - 1, 0))
        known = (len(history.users) > 0) & (history.users[pos] == users)
        pos = pos[known]
        histories = [history[k] for k in pos]
        if item_mapping is not None:
            histories = [item_mapping.decode(h) for h in histories]
        probs = self._distributions(histories, users[known])
        if item_mapping is None:
            return probs
        return np.concatenate([np.zeros((len(probs), 1)), probs[:, item_mapping.raw_ids]], axis=1)


class ShopOracle:
    """The shop's true next-item probabilities as a :class:`reclab.models.Scorer`.

    Made by :meth:`SyntheticShop.oracle` for one id mapping: it scores encoded histories and
    users like any model, so the evaluators rank its scores under the same protocol. Ranking
    by the true probability maximises every model's expected HR@K and NDCG@K on this data: its
    numbers are the ceiling. (It sees the same histories as the models, after preprocessing: a
    history's events dropped by k-core or unknown to the training catalogue are not in it.)
    """

    def __init__(self, shop: SyntheticShop, items: IdMapping, users: IdMapping) -> None:
        self.shop, self.items, self.users = shop, items, users
        self.num_items = items.num_items

    def score(self, histories: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
        """``(B, N + 1)`` true probabilities of every encoded item id; column 0 is ``-inf``."""
        if users is None:
            raise ValueError("ShopOracle.score: users is required (the shoppers' tastes differ)")
        h = np.asarray(histories)
        raw_users = self.users.decode(np.asarray(users))
        raw_histories = [self.items.decode(row[row > 0]) for row in h]
        probs = self.shop._distributions(raw_histories, raw_users)  # (B, N_raw + 1)
        out = np.concatenate([np.full((len(h), 1), -np.inf), probs[:, self.items.raw_ids]], 1)
        return out
