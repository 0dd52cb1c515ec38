"""Training signals on tasks whose truth is known: simulated demonstrators, raters and outcomes.

Two tasks, each with seeded simulated people whose accuracies are configured and
measurable, so that every claim about a training signal becomes a number:

- `tictactoe_task`: choose a move in any of the 4,520 decision positions; a
  `Demonstrator` (optimal with probability p, else a plausible mistake), a `Rater`
  (judges optimality, right with probability q); `outcome`: a policy's exact results
  against a fixed pool of opponents.
- `arithmetic`: problems such as "37 plus 45?" answered one character at a time over
  the essay alphabet, checked exactly; `arithmetic_people`: a demonstrator whose
  error rate grows with the digits, and a noisy rater with a soft spot for round answers.
- `people`: the configs (`TicTacToePeople`, `ArithmeticPeople`) that make and measure them.

Both tasks name their people `Demonstrator` and `Rater`; import them from their modules.
"""

from searchlab.signals import arithmetic, arithmetic_people, outcome, tictactoe_task
from searchlab.signals.arithmetic import ArithmeticTask, Problem, check
from searchlab.signals.common import Measured
from searchlab.signals.outcome import POOL, Outcome, OutcomeReport
from searchlab.signals.people import ArithmeticPeople, TicTacToePeople
from searchlab.signals.tictactoe_task import TicTacToeTask, default_task

__all__ = [
    "POOL",
    "ArithmeticPeople",
    "ArithmeticTask",
    "Measured",
    "Outcome",
    "OutcomeReport",
    "Problem",
    "TicTacToePeople",
    "TicTacToeTask",
    "arithmetic",
    "arithmetic_people",
    "check",
    "default_task",
    "outcome",
    "tictactoe_task",
]
