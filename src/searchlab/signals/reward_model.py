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
* `gao_fit`, `GaoFit`, `bon_distance`: Gao et al.'s over-optimisation curves, kept in
  `searchlab.signals.gao` and importable from here.

Features are float arrays or tensors of shape (n, f); results are numpy float64 arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from searchlab.core import DataLossProblem, Result, checks
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, numpy_generator, spawn_seeds, torch_generator
from searchlab.signals.gao import GAO_KINDS, GaoFit, bon_distance, gao_fit
from searchlab.signals.training import train
from searchlab.spaces.module import ModuleSpace

__all__ = [
    "GAO_KINDS",
    "GaoFit",
    "LabelEfficiency",
    "Members",
    "RewardEnsemble",
    "bon_distance",
    "gao_fit",
    "label_efficiency",
]


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
        members = Members(weights)
        self._train(members, x, y, samples, batch_seed)
        self.weights_ = members.layers()
        self.n_features_ = f
        self.n_labels_ = n
        return self

    def _train(self, members: Members, x: torch.Tensor, y: torch.Tensor, samples: torch.Tensor, seed: int) -> Result:
        """`steps` Adam steps through `core.run`, each member on minibatches of its own resample `samples` (K, n).

        The examples are the n slots of the resamples: slot j holds every member's j-th resampled label
        (row j of samples.T, (n, K)), so one minibatch of slots picks a different set of labels for each
        member, x[samples[k, batch]] for member k. The loss is the mean over the members of each one's
        cross-entropy plus its L2 penalty; no member's loss depends on another's parameters, so the
        members train independently, as K separate fits would. One slot costs K forward-equivalents.
        """
        k = samples.shape[0]

        def loss(run, rows: dict[str, torch.Tensor]) -> torch.Tensor:
            pick = rows["slots"].T  # (K, B) label indices, one row per member
            logits, squared_weights = run(x[pick])  # (K, B), and the members' summed squared weights
            fit = torch.nn.functional.binary_cross_entropy_with_logits(logits, y[pick])
            return fit + self.weight_decay * squared_weights / k

        problem = DataLossProblem(ModuleSpace(members), {"slots": samples.T.contiguous()}, loss, "bootstrap_bce")
        problem.cost_per_example = k
        return train(members, problem, self.lr, self.steps, seed, batch_size=self.batch_size)

    @staticmethod
    def logits(weights: list, x: torch.Tensor) -> torch.Tensor:
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
            return torch.sigmoid(self.logits(self.weights_, x)).double().numpy()

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


class Members(torch.nn.Module):
    """An ensemble's K MLPs as one network, so that one candidate of a search is all K members.

    Parameters "weight{i}" (K, in, out) and "bias{i}" (K, 1, out) per layer; `forward` returns the
    (K, B) logits and the sum of the members' squared weights (the L2 penalty is part of the loss).

    Args:
        weights: (weight, bias) per layer, their initial values (copied).
    """

    def __init__(self, weights: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        super().__init__()
        self.depth = len(weights)
        for i, (w, b) in enumerate(weights):
            self.register_parameter(f"weight{i}", torch.nn.Parameter(w.clone()))
            self.register_parameter(f"bias{i}", torch.nn.Parameter(b.clone()))

    def layers(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The (weight, bias) of each layer, detached."""
        return [(getattr(self, f"weight{i}").detach(), getattr(self, f"bias{i}").detach()) for i in range(self.depth)]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(K, B, f) inputs -> (K, B) logits, and the summed squared weights (biases excluded)."""
        weights = [(getattr(self, f"weight{i}"), getattr(self, f"bias{i}")) for i in range(self.depth)]
        return RewardEnsemble.logits(weights, x), sum(w.square().sum() for w, _ in weights)


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
