"""SPEC 1.10: the per-company token bucket of one API process, on a frozen clock."""

from __future__ import annotations

from itg.api.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_of_the_rate_then_retry_after_until_a_token_is_back():
    clock = Clock()
    limiter = RateLimiter(5, clock=clock)
    assert [limiter.admit(1) for _ in range(5)] == [None] * 5
    assert limiter.admit(1) == 1  # 1/5 s to the next token: rounded up to a whole second
    clock.now += 0.2
    assert limiter.admit(1) is None
    assert limiter.admit(1) == 1


def test_companies_have_their_own_buckets():
    clock = Clock()
    limiter = RateLimiter(1, clock=clock)
    assert limiter.admit(1) is None
    assert limiter.admit(1) == 1
    assert limiter.admit(2) is None


def test_a_slow_rate_advises_a_long_wait_and_the_burst_is_at_least_one():
    clock = Clock()
    limiter = RateLimiter(0.1, clock=clock)
    assert limiter.admit(1) is None
    assert limiter.admit(1) == 10
    clock.now += 4
    assert limiter.admit(1) == 6


def test_refusals_take_no_token_and_idle_buckets_refill_and_are_forgotten():
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    assert [limiter.admit(1) for _ in range(4)] == [None, None, 1, 1]
    clock.now += 1.0  # two tokens back, not less for the refusals
    assert [limiter.admit(1) for _ in range(3)] == [None, None, 1]
    clock.now += 120
    assert limiter.admit(2) is None  # the sweep runs
    assert 1 not in limiter._buckets
    assert limiter.admit(1) is None


def test_zero_is_off():
    limiter = RateLimiter(0)
    assert not limiter.enabled
    assert all(limiter.admit(1) is None for _ in range(100))
