"""A learned rater: an ensemble of small networks that predicts approval, and what it costs in labels.

Task-independent: everything here sees feature vectors and 0/1 labels only, never a
board or a sum. The tasks turn their (state, answer) pairs into features.

* `RewardEnsemble(members, hidden, layers, steps, ...)`: K small ReLU MLPs (features -> P(approve)),
  each with its own initial weights and its own bootstrap resample of the labels, all
  K trained at once as one batched network (Adam, a fixed number of steps, so the
  cost does not depend on the number of labels). `fit(features, labels, seed)` returns
  the ensemble; `predict` is the members' mean probability, `disagreement` their
  standard deviation (how unsure the ensemble is), `accuracy` the share of labels
  that `predict >= 1/2` gets right.
* `label_efficiency(pool, oracle, heldout, heldout_labels, counts, seed, active)`: held-out
  accuracy against the number of labels bought from the oracle (the simulated rater),
  queried at random or actively (where the ensemble disagrees most). The oracle is
  called for exactly the queried items, so its call count is the label cost.
* `gao_fit(d, scores, kind)`: the functional forms of Gao, Schulman and Hilton (2022),
  "Scaling laws for reward model overoptimization", in d = sqrt(KL(policy || initial)):
  best-of-n R(d) = d (alpha - beta d), RL R(d) = d (alpha - beta log d), and the d where
  the fitted true reward peaks. `bon_distance(n)` is the analytic best-of-n d.

Features are float arrays or tensors of shape (n, f); results are numpy float64 arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.optimize import curve_fit

from searchlab.core import checks
from searchlab.core.device import cpu_threads
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, numpy_generator, spawn_seeds, torch_generator

GAO_KINDS = ("bon", "rl")


def _whole(owner: str, name: str, value, low: int = 1) -> int:
    return checks.whole(f"{owner}: {name}", value, low)


def _positive(owner: str, name: str, value, allow_zero: bool = False) -> float:
    if not checks.is_number(value) or value < 0 or (value == 0 and not allow_zero):
        raise SearchlabError(
            f"{owner}: {name} must be a finite number {'>= 0' if allow_zero else '> 0'}, got {value!r}"
        )
    return float(value)


def _features(features, width: int | None = None) -> torch.Tensor:
    """Features as a finite (n, f) float32 tensor, checked against the fitted width."""
    tensor = torch.as_tensor(np.asarray(features, dtype=np.float32) if not torch.is_tensor(features) else features)
    tensor = tensor.detach().to(torch.float32).cpu()
    if tensor.ndim != 2 or (width is not None and tensor.shape[1] != width):
        want = f"(n, {width})" if width is not None else "(n, f)"
        raise SearchlabError(f"reward-model features are a {want} array, got shape {tuple(tensor.shape)}")
    if not torch.isfinite(tensor).all():
        raise SearchlabError("reward-model features must be finite; found NaN or inf")
    return tensor


def _labels(labels, count: int) -> torch.Tensor:
    array = np.asarray(labels).reshape(-1)
    if array.size != count or not np.isin(array, (0, 1)).all():
        raise SearchlabError(f"give one 0/1 (or bool) label per feature row: {array.size} labels for {count} rows")
    return torch.as_tensor(array.astype(np.float32))


class RewardEnsemble:
    """K small MLPs mapping features to P(approve); settings only until `fit`.

    Args:
        members: K, the number of networks (>= 1; disagreement needs >= 2).
        hidden: width of each member's hidden (ReLU) layers.
        layers: how many hidden layers (two learn Tic-Tac-Toe move values far better than one).
        steps: Adam steps of training, whatever the number of labels.
        batch_size: labels per step and member (all of them when fewer).
        lr: Adam's learning rate.
        weight_decay: L2 penalty on the weights (keeps few-label fits tame).
        bootstrap: resample the labels with replacement for each member (else every
            member sees all labels and only the initial weights differ).

    Attributes (after `fit`):
        weights_: the batched parameters, a list of (weight (K, in, out), bias (K, 1, out)) per layer.
        n_features_: f.
        n_labels_: how many labels it was fitted on.

    Raises:
        SearchlabError: a bad setting, with what to give instead.
    """

    def __init__(
        self,
        members: int = 5,
        hidden: int = 64,
        layers: int = 2,
        steps: int = 600,
        batch_size: int = 256,
        lr: float = 3e-3,
        weight_decay: float = 1e-5,
        bootstrap: bool = True,
    ) -> None:
        owner = "reward ensemble"
        self.members = _whole(owner, "members", members)
        self.hidden = _whole(owner, "hidden", hidden)
        self.layers = _whole(owner, "layers", layers)
        self.steps = _whole(owner, "steps", steps)
        self.batch_size = _whole(owner, "batch_size", batch_size)
        self.lr = _positive(owner, "lr", lr)
        self.weight_decay = _positive(owner, "weight_decay", weight_decay, allow_zero=True)
        self.bootstrap = bool(bootstrap)

    def settings(self) -> dict:
        """The constructor's arguments, so an unfitted copy can be made: RewardEnsemble(**settings())."""
        return {
            name: getattr(self, name)
            for name in ("members", "hidden", "layers", "steps", "batch_size", "lr", "weight_decay", "bootstrap")
        }

    def fit(self, features, labels, seed: int) -> RewardEnsemble:
        """Train every member on its own bootstrap resample of (features, labels); returns self.

        Args:
            features: (n, f) floats, n >= 1.
            labels: (n,) 0/1 or bool, 1 = approved.
            seed: seeds each member's initial weights, resample and batches (child seeds).

        Raises:
            SearchlabError: empty or mismatched data, non-finite features, a bad seed.
        """
        x = _features(features)
        y = _labels(labels, x.shape[0])
        if x.shape[0] == 0:
            raise SearchlabError("a reward model needs at least one label to fit")
        n, f = x.shape
        k = self.members
        *seeds, batch_seed = spawn_seeds(check_seed(seed), k + 1)
        widths = (f, *[self.hidden] * self.layers, 1)
        # Every member: its own init stream and its own resample of the n labels.
        weights = [(torch.empty(k, a, b), torch.empty(k, 1, b)) for a, b in zip(widths, widths[1:])]
        samples = []
        for member, member_seed in enumerate(seeds):
            gen = torch_generator(member_seed)
            for w, b in weights:
                bound = 1.0 / math.sqrt(w.shape[1])  # torch.nn.Linear's default range
                w[member] = (torch.rand(w.shape[1:], generator=gen) * 2 - 1) * bound
                b[member] = (torch.rand(b.shape[1:], generator=gen) * 2 - 1) * bound
            rng = numpy_generator(member_seed)
            samples.append(rng.integers(0, n, size=n) if self.bootstrap else np.arange(n))
        samples = torch.as_tensor(np.stack(samples))  # (K, n)
        for tensor in (t for layer in weights for t in layer):
            tensor.requires_grad_()
        gen = torch_generator(batch_seed)
        with cpu_threads(1):  # nets this small train fastest on one thread, and do not fight other work
            self._train(weights, x, y, samples, gen)
        self.weights_ = [(w.detach(), b.detach()) for w, b in weights]
        self.n_features_ = f
        self.n_labels_ = n
        return self

    def _train(
        self, weights: list, x: torch.Tensor, y: torch.Tensor, samples: torch.Tensor, gen: torch.Generator
    ) -> None:
        """`steps` Adam steps, each member on a batch of its own resample `samples` (K, n)."""
        k, n = samples.shape
        batch = min(self.batch_size, n)
        optimizer = torch.optim.Adam([t for layer in weights for t in layer], lr=self.lr)
        for _ in range(self.steps):
            pick = samples.gather(1, torch.randint(0, n, (k, batch), generator=gen))  # (K, B) row ids
            logits = self._logits(weights, x[pick])  # (K, B)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y[pick])
            loss = loss + self.weight_decay * sum(w.square().sum() for w, _ in weights) / k
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    @staticmethod
    def _logits(weights: list, x: torch.Tensor) -> torch.Tensor:
        """(K, B, f) or (B, f) inputs -> (K, B) logits, one batched matmul per layer."""
        if x.ndim == 2:
            x = x.expand(weights[0][0].shape[0], *x.shape)
        for w, b in weights[:-1]:
            x = torch.relu(torch.baddbmm(b, x, w))  # (K, B, h)
        w, b = weights[-1]
        return torch.baddbmm(b, x, w).squeeze(-1)

    def member_probabilities(self, features) -> np.ndarray:
        """(K, n) every member's P(approve)."""
        if not hasattr(self, "weights_"):
            raise SearchlabError("this reward ensemble is not fitted yet; call fit(features, labels, seed) first")
        x = _features(features, self.n_features_)
        with torch.no_grad():
            return torch.sigmoid(self._logits(self.weights_, x)).double().numpy()

    def predict(self, features) -> np.ndarray:
        """(n,) the members' mean P(approve)."""
        return self.member_probabilities(features).mean(axis=0)

    def disagreement(self, features) -> np.ndarray:
        """(n,) the standard deviation of P(approve) across members (0 with one member)."""
        return self.member_probabilities(features).std(axis=0)

    def accuracy(self, features, labels) -> float:
        """The share of `labels` that predict(features) >= 1/2 gets right."""
        predicted = self.predict(features) >= 0.5
        truth = _labels(labels, predicted.size).numpy() > 0.5
        return float((predicted == truth).mean())


@dataclass
class LabelEfficiency:
    """Held-out accuracy of a reward model against the labels it was bought.

    Attributes:
        active: True for disagreement-driven queries, False for random ones.
        counts: labels bought at each point of the curve (increasing).
        accuracy: held-out accuracy of the ensemble refitted at each count.
        queried: pool indices in the order they were queried (each once).
        oracle_calls: items the oracle was asked about in all (== counts[-1]).
        picked_disagreement: per active round, the mean disagreement of the items picked;
            pool_median_disagreement: the median over the unlabelled pool at that moment
            (both empty for random queries).
        majority: the held-out accuracy of always answering the held-out labels' majority class,
            the trivial baseline every point of `accuracy` sits beside.
    """

    active: bool
    counts: list[int]
    accuracy: list[float]
    queried: np.ndarray
    oracle_calls: int
    picked_disagreement: list[float] = field(default_factory=list)
    pool_median_disagreement: list[float] = field(default_factory=list)
    majority: float = float("nan")


def label_efficiency(
    pool,
    oracle: Callable[[np.ndarray], np.ndarray],
    heldout,
    heldout_labels,
    counts: Sequence[int],
    seed: int,
    active: bool,
    ensemble: RewardEnsemble | None = None,
    initial: int | None = None,
) -> LabelEfficiency:
    """Buy labels from `oracle` for items of `pool`, at random or where the ensemble disagrees, and score each refit.

    Random: the first counts[-1] items of a seeded permutation, so each count is a prefix.
    Active: `initial` random items (counts[0] by default), then, to go from one count to
    the next, refit on everything bought so far and buy the unlabelled items with the
    largest disagreement (ties: the lower index), one round per count.

    Args:
        pool: (N, f) features of the items that can be queried.
        oracle: indices (m,) into the pool -> (m,) 0/1 labels (the simulated rater).
        heldout, heldout_labels: (M, f) features and (M,) labels that are never queried.
        counts: increasing label counts at which to report accuracy, each in 1..N.
        seed: seeds the random queries and every refit.
        active: query by disagreement (True) or at random (False).
        ensemble: the reward-model settings (a default `RewardEnsemble()` if None).
        initial: random labels an active run starts from (<= counts[0]).

    Raises:
        SearchlabError: counts not increasing or out of range, a bad `initial`, mismatched shapes.
    """
    x = _features(pool)
    n = x.shape[0]
    counts = [_whole("label efficiency", "each count", c) for c in counts]
    if not counts or any(b <= a for a, b in zip(counts, counts[1:])) or counts[-1] > n:
        raise SearchlabError(
            f"label efficiency: counts must be increasing whole numbers from 1 to the pool size {n}, got {counts!r}"
        )
    initial = counts[0] if initial is None else _whole("label efficiency", "initial", initial)
    if initial > counts[0]:
        raise SearchlabError(f"label efficiency: initial ({initial}) must be at most the first count ({counts[0]})")
    ensemble = ensemble or RewardEnsemble()
    order_seed, *fit_seeds = spawn_seeds(seed, len(counts) + 1)
    order = numpy_generator(order_seed).permutation(n)
    result = LabelEfficiency(bool(active), counts, [], np.zeros(0, dtype=np.int64), 0)
    positive = float(np.mean(np.asarray(heldout_labels, dtype=float)))
    result.majority = max(positive, 1.0 - positive)
    labels = np.zeros(n, dtype=np.float32)
    bought = np.zeros(n, dtype=bool)

    def buy(indices: np.ndarray) -> None:
        answers = np.asarray(oracle(indices)).reshape(-1)
        if answers.size != indices.size:
            raise SearchlabError(f"the oracle returned {answers.size} labels for {indices.size} queried items")
        labels[indices] = answers
        bought[indices] = True
        result.queried = np.concatenate([result.queried, indices])
        result.oracle_calls += int(indices.size)

    buy(order[: (initial if active else counts[0])])
    for step, count in enumerate(counts):
        if active and result.oracle_calls < count:
            model = RewardEnsemble(**ensemble.settings()).fit(x[bought], labels[bought], fit_seeds[step])
            unlabelled = np.flatnonzero(~bought)
            spread = model.disagreement(x[unlabelled])
            pick = np.argsort(-spread, kind="stable")[: count - result.oracle_calls]
            result.picked_disagreement.append(float(spread[pick].mean()))
            result.pool_median_disagreement.append(float(np.median(spread)))
            buy(unlabelled[pick])
        elif not active and result.oracle_calls < count:
            buy(order[result.oracle_calls : count])
        model = RewardEnsemble(**ensemble.settings()).fit(x[bought], labels[bought], fit_seeds[step])
        result.accuracy.append(model.accuracy(heldout, heldout_labels))
    return result


@dataclass(frozen=True)
class GaoFit:
    """A fitted Gao et al. (2022) curve of true reward against d = sqrt(KL).

    Attributes:
        kind: "bon" (R = d (alpha - beta d)) or "rl" (R = d (alpha - beta log d)).
        alpha, beta: the fitted coefficients; alpha_stderr, beta_stderr their standard errors.
        peak_d: the d where the fitted curve is highest (inf when beta <= 0: no peak).
        peak_score: the fitted R at peak_d (the gain over the initial policy).
    """

    kind: str
    alpha: float
    beta: float
    alpha_stderr: float
    beta_stderr: float
    peak_d: float
    peak_score: float

    def predict(self, d) -> np.ndarray:
        """The fitted gain R(d) at each d (R(0) = 0)."""
        return _gao_form(self.kind)(np.asarray(d, dtype=float), self.alpha, self.beta)

    def as_dict(self) -> dict:
        return {
            k: getattr(self, k)
            for k in ("kind", "alpha", "beta", "alpha_stderr", "beta_stderr", "peak_d", "peak_score")
        }


def _gao_form(kind: str) -> Callable:
    if kind == "bon":
        return lambda d, alpha, beta: d * (alpha - beta * d)
    # d log d -> 0 as d -> 0, so the RL form is 0 at d = 0 like the best-of-n one.
    return lambda d, alpha, beta: d * alpha - beta * np.where(d > 0, d * np.log(np.maximum(d, 1e-300)), 0.0)


def bon_distance(n) -> np.ndarray:
    """d = sqrt(KL) of best-of-n against the sampling policy, analytically: sqrt(log n - (n - 1) / n)."""
    n = np.asarray(n, dtype=float)
    if (n < 1).any():
        raise SearchlabError("best-of-n needs n >= 1")
    return np.sqrt(np.log(n) - (n - 1) / n)


def gao_fit(d, scores, kind: str, baseline: float = 0.0) -> GaoFit:
    """Fit Gao et al.'s form to true-reward gains measured at distances d (scipy curve_fit).

    Args:
        d: (m,) sqrt(KL(policy || initial)) at each measurement, >= 0.
        scores: (m,) the true reward there.
        kind: "bon" or "rl".
        baseline: the initial policy's true reward, subtracted so that R(0) = 0 as in the paper.

    Raises:
        SearchlabError: an unknown kind, mismatched or non-finite inputs, negative d, fewer
            than two points with d > 0, or a fit that does not converge.
    """
    if kind not in GAO_KINDS:
        raise SearchlabError(f"gao_fit kind is one of {', '.join(GAO_KINDS)}, got {kind!r}")
    d = np.asarray(d, dtype=float).reshape(-1)
    gains = np.asarray(scores, dtype=float).reshape(-1) - float(baseline)
    if d.shape != gains.shape or not np.isfinite(d).all() or not np.isfinite(gains).all() or (d < 0).any():
        raise SearchlabError(f"gao_fit needs finite d >= 0 and one score per d; got {d.size} d and {gains.size} scores")
    if (d > 0).sum() < 2:
        raise SearchlabError("gao_fit needs at least two measurements with d > 0")
    try:
        (alpha, beta), covariance = curve_fit(_gao_form(kind), d, gains, p0=(1.0, 0.1))
    except (RuntimeError, ValueError) as err:
        raise SearchlabError(f"gao_fit ({kind}) did not converge: {err}") from None
    errors = np.sqrt(np.clip(np.diag(covariance), 0, None)) if np.isfinite(covariance).all() else np.full(2, np.inf)
    if beta <= 0:
        peak = math.inf
    else:
        peak = alpha / (2 * beta) if kind == "bon" else math.exp(alpha / beta - 1)
    fitted = GaoFit(kind, float(alpha), float(beta), float(errors[0]), float(errors[1]), float(peak), math.nan)
    peak_score = float(fitted.predict(peak)) if math.isfinite(peak) else math.inf
    return GaoFit(kind, float(alpha), float(beta), float(errors[0]), float(errors[1]), float(peak), peak_score)
