"""Training signals on tasks whose truth is known: simulated demonstrators, raters and outcomes.

Two tasks, each with seeded simulated people whose accuracies are configured and
measurable, so that every claim about a training signal becomes a number:

- `tictactoe_task`: choose a move in any of the 4,520 decision positions; the
  demonstrator is optimal with probability p, else plays a plausible mistake; the rater
  judges optimality, right with probability q; `outcome`: a policy's exact results
  against a fixed pool of opponents.
- `arithmetic`: problems such as "37 plus 45?" answered one character at a time over
  the essay alphabet, checked exactly (`ArithmeticProblem`, `check`); `arithmetic_people`:
  the mistakes people make, a demonstrator whose error rate grows with the digits, and
  a noisy rater's soft spot for round answers.
- `persons`: the people, written once for every task: `Demonstrator`, `Rater` and
  `Checker` over a task's truth (`TicTacToeTruth`, `ArithmeticTruth`) and the
  demonstrator's skill (`TicTacToeSkill`, `ArithmeticSkill`).
- `people`: the configs (`TicTacToePeople`, `ArithmeticPeople`) that make and measure them.

The machinery is shared through one task interface (`task.Task`), implemented by
`tictactoe_signals.TicTacToeSignals` and `arithmetic_signals.ArithmeticSignals`:
`result.PathResult` is what every path returns, `reinforce` is the one policy-gradient
loop, `paths` the approval, reward-model and outcome paths, `imitation` behaviour cloning
and DAgger, `overoptimisation` the sweep of proxy against true reward, `pipeline` the
staged pipeline. Each task's reward model is in its own module (`tictactoe_signals`,
`arithmetic_reward`).
"""

from searchlab.signals import arithmetic, arithmetic_people, outcome, tictactoe_task
from searchlab.signals.arithmetic import ArithmeticProblem, ArithmeticTask, check
from searchlab.signals.common import Measured
from searchlab.signals.outcome import POOL, Outcome, OutcomeReport
from searchlab.signals.people import ArithmeticPeople, TicTacToePeople
from searchlab.signals.persons import Checker, Demonstrator, Rater
from searchlab.signals.tictactoe_task import TicTacToeTask, default_task

__all__ = [
    "POOL",
    "ArithmeticPeople",
    "ArithmeticProblem",
    "ArithmeticTask",
    "Checker",
    "Demonstrator",
    "Measured",
    "Outcome",
    "OutcomeReport",
    "Rater",
    "TicTacToePeople",
    "TicTacToeTask",
    "arithmetic",
    "arithmetic_people",
    "check",
    "default_task",
    "outcome",
    "tictactoe_task",
]
