"""Fair use: how often one person may make the bot speak.

Each person has a token bucket per assembly. A command costs tokens before it runs (an
announcement in every room costs a whole token, a reply in the sender's room a fraction); the
bucket holds `burst` tokens and gains one every `refill_seconds`. A person over budget is told
once, then gets no answer at all until the bucket holds enough again: a refusal that answered
every time would itself be the flood.

The same fairness for what the bot does on people's behalf: people take turns (`TakingTurns`),
so that one person saying a lot delays nobody by more than one of their messages.

Plain Python with an injected clock; no Matrix, no I/O.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

# What a command costs, declared with it (`@command(..., cost=...)`).
ANNOUNCES = 1.0  # speaks in every room of the assembly
REPLIES = 0.25  # answers only in the sender's room (or with a reaction)


@dataclass(frozen=True)
class Budget:
    """A burst of `burst` costly commands, then one every `refill_seconds`."""

    burst: int = 5
    refill_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        if self.refill_seconds <= 0:
            raise ValueError("refill_seconds must be positive")


@dataclass(frozen=True)
class Verdict:
    """Whether a command may run; if not, whether to say so and when to try again."""

    allowed: bool
    notify: bool = False
    retry_after_seconds: int = 0


class TokenBucket:
    def __init__(self, budget: Budget, now: float) -> None:
        self._budget = budget
        self._tokens = float(budget.burst)
        self._at = now
        self._told = False

    @property
    def tokens(self) -> float:
        return self._tokens

    def spend(self, cost: float, now: float, *, quietly: bool = False) -> Verdict:
        """`quietly`: the action gets no answer in words if refused (a reaction), so the one
        notice is kept for the next command that is refused."""
        self._refill(now)
        if self._tokens + 1e-9 >= cost:
            self._tokens -= cost
            self._told = False  # the budget came back: a later excess is worth a notice again
            return Verdict(allowed=True)
        missing = cost - self._tokens
        wait = max(1, math.ceil(missing * self._budget.refill_seconds))
        if quietly:
            return Verdict(allowed=False, retry_after_seconds=wait)
        notify = not self._told
        self._told = True
        return Verdict(allowed=False, notify=notify, retry_after_seconds=wait)

    def is_full(self, now: float) -> bool:
        self._refill(now)
        return self._tokens >= self._budget.burst

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._at)
        self._at = max(self._at, now)
        self._tokens = min(
            float(self._budget.burst), self._tokens + elapsed / self._budget.refill_seconds
        )


class FairUse:
    """Every person's bucket, per assembly.

    Kept in memory only: a restart refills everyone's budget, which is acceptable (a restart is
    rare and costs an attacker more than it gives). Full buckets are forgotten now and then, so
    the map holds only people who spent something recently.
    """

    FORGET_EVERY = 256  # checks between sweeps of full buckets

    def __init__(
        self,
        budgets: dict[str, Budget],
        clock: Callable[[], float] = time.monotonic,
        default: Budget | None = None,
    ) -> None:
        self._budgets = budgets
        self._default = default or Budget()
        self._clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._checks = 0

    def spend(self, assembly: str, person: str, cost: float, *, quietly: bool = False) -> Verdict:
        if cost <= 0:
            return Verdict(allowed=True)
        now = self._clock()
        self._sweep(now)
        key = (assembly, person)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.budget_of(assembly), now)
        return bucket.spend(cost, now, quietly=quietly)

    def budget_of(self, assembly: str) -> Budget:
        return self._budgets.get(assembly, self._default)

    def tracked(self) -> int:
        return len(self._buckets)

    def _sweep(self, now: float) -> None:
        self._checks += 1
        if self._checks % self.FORGET_EVERY:
            return
        for key in [k for k, bucket in self._buckets.items() if bucket.is_full(now)]:
            del self._buckets[key]


T = TypeVar("T")


class TakingTurns(Generic[T]):
    """What people are waiting for, each person's in the order they asked, the people taking
    turns: one item of the person at the front, who then goes to the back of the line. Someone
    new joins the line at the back. Nobody waits for more than one item of each other person
    ahead of them, however much those others asked for; and when nobody asks for more than
    their turn, the order is simply first come, first served."""

    def __init__(self) -> None:
        # Insertion order is the line: the person at the front is served next.
        self._queues: dict[str, deque[T]] = {}

    def __len__(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    def add(self, person: str, item: T) -> None:
        self._queues.setdefault(person, deque()).append(item)

    def upcoming(self, count: int) -> list[T]:
        """The next `count` items in the order they would be served, if no one asked more."""
        found: list[T] = []
        rounds = 0
        while len(found) < count:
            turn = [queue[rounds] for queue in self._queues.values() if len(queue) > rounds]
            if not turn:
                break
            found.extend(turn[: count - len(found)])
            rounds += 1
        return found

    def served(self, item: T) -> None:
        """The front person's first item is done: they go to the back of the line."""
        for person, queue in self._queues.items():
            if queue and queue[0] == item:
                queue.popleft()
                del self._queues[person]
                if queue:
                    self._queues[person] = queue
                return
        raise ValueError("only the first item of a person can be served")

    def holds(self, predicate: Callable[[T], bool]) -> str | None:
        """The person waiting for an item `predicate` picks, if anyone is."""
        for person, queue in self._queues.items():
            if any(predicate(item) for item in queue):
                return person
        return None
