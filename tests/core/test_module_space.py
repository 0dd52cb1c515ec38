"""Any torch module searched through the core loop: ModuleSpace and DataLossProblem against hand-written torch."""

from __future__ import annotations

import copy

import pytest
import torch

from searchlab.core import Budget, DataLossProblem, SearchlabError, run
from searchlab.optimizers import make_optimizer
from searchlab.spaces import ModuleSpace


class TwoHeads(torch.nn.Module):
    """A module no hand-built space describes: a shared layer, then two heads with different losses."""

    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Linear(3, 6)
        self.first = torch.nn.Linear(6, 4)
        self.second = torch.nn.Linear(6, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.relu(self.body(x))
        return self.first(h).masked_fill(~mask, -1e9), torch.tanh(self.second(h)).squeeze(-1)


def _data(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(40, 3, generator=g)
    mask = torch.rand(40, 4, generator=g) > 0.3
    mask[:, 0] = True
    target = torch.softmax(torch.randn(40, 4, generator=g).masked_fill(~mask, -1e9), dim=-1)
    return {"x": x, "mask": mask, "policy": target, "value": torch.tanh(x.sum(dim=1))}


def _loss(call, rows):
    logits, values = call(rows["x"], rows["mask"])
    policy = -(rows["policy"] * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
    value = (values - rows["value"]).square().mean()
    return policy + value, {"policy": policy, "value": value}


def test_adam_through_the_core_loop_matches_torch_optim_adam_step_for_step():
    torch.manual_seed(0)
    net = TwoHeads()
    reference = copy.deepcopy(net)
    data = _data()
    problem = DataLossProblem(ModuleSpace(net), data, _loss, name="policy_value")
    result = run(problem, make_optimizer("gradient", algorithm="adam", lr=0.01, weight_decay=1e-3), Budget(steps=25), 0)

    adam = torch.optim.Adam(reference.parameters(), lr=0.01, weight_decay=1e-3)
    losses = []
    for _ in range(25):
        loss, _ = _loss(reference, data)
        losses.append(loss.item())
        adam.zero_grad()
        loss.backward()
        adam.step()
    expected = torch.nn.utils.parameters_to_vector(reference.parameters()).detach()
    assert torch.allclose(result.candidate, expected, rtol=1e-5, atol=1e-6)
    assert result.trace["loss"] == pytest.approx(losses, rel=1e-5)
    assert result.forward_equivalents == 25 * 3 * 40  # a full-batch gradient step costs 3 per example
    assert set(problem.last_parts) == {"policy", "value"}
    assert problem.last_parts["policy"] + problem.last_parts["value"] == pytest.approx(losses[-1], rel=1e-5)
    # The module the caller passed is the template, left as it was; `module` builds the trained one.
    assert torch.equal(torch.nn.utils.parameters_to_vector(net.parameters()), problem.space.initial)
    trained = problem.space.module(result.candidate)
    assert torch.allclose(_loss(trained, data)[0], torch.tensor(result.final_loss), rtol=1e-5)


def test_a_population_runs_candidate_by_candidate_and_starts_at_the_modules_own_parameters():
    torch.manual_seed(1)
    net = TwoHeads()
    space = ModuleSpace(net)
    population = space.perturb(space.sample(3, torch.Generator().manual_seed(0)), 0.1, torch.Generator().manual_seed(1))
    assert torch.equal(space.sample(2, torch.Generator())[1], torch.nn.utils.parameters_to_vector(net.parameters()))
    data = _data(1)
    logits, values = space.forward(population, (data["x"], data["mask"]))
    assert logits.shape == (3, 40, 4) and values.shape == (3, 40)
    for k in range(3):
        one = space.module(population[k])
        expected_logits, expected_values = one(data["x"], data["mask"])
        assert torch.allclose(logits[k], expected_logits) and torch.allclose(values[k], expected_values)
    problem = DataLossProblem(space, data, _loss)
    losses = problem.evaluate(population)
    assert losses.shape == (3,) and torch.allclose(losses[0], _loss(space.module(population[0]), data)[0])
    assert problem.forward_equivalents == 3 * 40


def test_bad_modules_and_data_are_refused_with_what_to_fix():
    with pytest.raises(SearchlabError, match="has no parameters"):
        ModuleSpace(torch.nn.ReLU())
    space = ModuleSpace(torch.nn.Linear(2, 1))
    with pytest.raises(SearchlabError, match="one row per example"):
        DataLossProblem(space, {"x": torch.zeros(3, 2), "y": torch.zeros(4)}, _loss)
    with pytest.raises(SearchlabError, match="empty"):
        DataLossProblem(space, {"x": torch.zeros(0, 2)}, _loss)
    with pytest.raises(SearchlabError, match="has 3 parameters"):
        space.module(torch.zeros(4))


class Halving:
    """A schedule with state of its own: the rate halves every `every` steps, `every` fixed after the run began."""

    def __init__(self, lr: float) -> None:
        self.lr, self.every = lr, 4

    def __call__(self, step: int) -> float:
        return self.lr * 0.5 ** (step // self.every)

    def state_dict(self) -> dict:
        return {"every": self.every}

    def load_state_dict(self, state: dict) -> None:
        self.every = state["every"]


def test_adamw_with_clipping_a_schedule_and_decay_on_matrices_only_matches_torch_optim_adamw():
    torch.manual_seed(1)
    net = TwoHeads()
    reference = copy.deepcopy(net)
    data = _data(1)
    schedule = Halving(0.05)
    optimizer = make_optimizer(
        "gradient",
        algorithm="adamw",
        lr=0.05,
        weight_decay=0.1,
        betas=(0.8, 0.95),
        clip_norm=0.5,
        schedule=schedule,
        decays=lambda name, shape: len(shape) >= 2,
    )
    problem = DataLossProblem(ModuleSpace(net), data, _loss, name="policy_value")
    result = run(problem, optimizer, Budget(steps=12), 0)

    matrices = [p for p in reference.parameters() if p.ndim >= 2]
    vectors = [p for p in reference.parameters() if p.ndim < 2]
    adamw = torch.optim.AdamW(
        [{"params": matrices, "weight_decay": 0.1}, {"params": vectors, "weight_decay": 0.0}], betas=(0.8, 0.95)
    )
    clipped = 0
    for step in range(12):
        for group in adamw.param_groups:
            group["lr"] = schedule(step)
        loss, _ = _loss(reference, data)
        adamw.zero_grad()
        loss.backward()
        clipped += float(torch.nn.utils.clip_grad_norm_(reference.parameters(), 0.5)) > 0.5
        adamw.step()
    assert clipped > 0  # the clip acted, so the comparison covers it
    expected = torch.nn.utils.parameters_to_vector(reference.parameters()).detach()
    torch.testing.assert_close(result.candidate, expected, rtol=1e-5, atol=1e-6)


def test_a_schedule_with_state_resumes_through_the_checkpoint(tmp_path):
    def search(budget, resume, every=4):
        torch.manual_seed(2)
        schedule = Halving(0.05)
        schedule.every = every
        optimizer = make_optimizer("gradient", algorithm="adam", lr=0.05, schedule=schedule)
        problem = DataLossProblem(ModuleSpace(TwoHeads()), _data(2), _loss)
        return run(problem, optimizer, Budget(steps=budget), 0, checkpoint_dir=tmp_path, resume=resume)

    whole = search(10, False, every=3).candidate
    search(5, False, every=3)
    resumed = search(10, True, every=7)  # the checkpoint's `every` (3) wins over this fresh schedule's
    assert torch.equal(resumed.candidate, whole)


class NoisyProblem(DataLossProblem):
    """A problem that draws random numbers of its own each step (as rollouts do) and buys one label per step."""

    def __init__(self) -> None:
        super().__init__(ModuleSpace(TwoHeads()), _data(3), self._noisy)
        self.noise = torch.Generator().manual_seed(5)

    def _noisy(self, call, rows):
        self.labels += 1
        jitter = torch.rand(rows["x"].shape, generator=self.noise)
        return _loss(lambda x, mask: call(x + jitter, mask), rows)[0]

    def state(self) -> dict:
        return {"noise": self.noise.get_state()}

    def load_state(self, state: dict) -> None:
        self.noise.set_state(state["noise"])


def test_a_problems_own_generator_and_label_count_resume_exactly(tmp_path):
    def search(budget, resume):
        torch.manual_seed(3)
        optimizer = make_optimizer("gradient", algorithm="adam", lr=0.02, batch_size=8)
        return run(NoisyProblem(), optimizer, Budget(steps=budget), 0, checkpoint_dir=tmp_path, resume=resume)

    whole = search(9, False)
    search(4, False)
    resumed = search(9, True)
    assert torch.equal(resumed.candidate, whole.candidate)
    assert resumed.trace["labels"] == whole.trace["labels"] == [float(k) for k in range(1, 10)]
    assert resumed.labels == 9


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"algorithm": "adamax"}, "unknown gradient algorithm"),
        ({"betas": (0.9, 1.0)}, "betas must lie in [0, 1)"),
        ({"betas": (float("nan"), 0.9)}, "betas must lie in [0, 1)"),
        ({"clip_norm": 0.0}, "clip_norm be a positive number"),
        ({"clip_norm": float("inf")}, "clip_norm be a positive number"),
    ],
)
def test_bad_gradient_settings_are_refused_with_the_setting_named(settings, words):
    with pytest.raises(SearchlabError) as refused:
        make_optimizer("gradient", **settings)
    assert words in str(refused.value)
