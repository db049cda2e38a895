"""The pure rules of experiments: how the runner shares its free slots (organizations take
turns, then their experiments, and no experiment gets more than its own concurrency leaves
room for), and how an estimate prices the gateway's model names."""

from __future__ import annotations

from collections import Counter

from heliograph.costs.catalog import PriceCatalog
from heliograph.experiments.cells import RunningExperiment
from heliograph.experiments.estimate import price
from heliograph.experiments.runner import fair_shares
from heliograph.usage import Usage


def running(*pairs: tuple[str, str]) -> list[RunningExperiment]:
    return [RunningExperiment(experiment, org, 32) for experiment, org in pairs]


def test_organizations_take_turns_whatever_their_number_of_experiments():
    experiments = running(("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"))
    room = Counter({"a1": 32, "a2": 32, "a3": 32, "b1": 32})
    shares = fair_shares(experiments, room, 8)
    assert shares["b1"] == 4 and shares["a1"] + shares["a2"] + shares["a3"] == 4
    assert (
        max(shares[e] for e in ("a1", "a2", "a3")) - min(shares[e] for e in ("a1", "a2", "a3")) <= 1
    )


def test_an_experiment_gets_no_more_than_its_room_and_the_rest_goes_to_others():
    experiments = running(("a1", "a"), ("b1", "b"))
    shares = fair_shares(experiments, Counter({"a1": 1, "b1": 32}), 8)
    assert shares == Counter({"a1": 1, "b1": 7})


def test_nothing_is_granted_without_free_slots_or_room():
    experiments = running(("a1", "a"))
    assert fair_shares(experiments, Counter({"a1": 5}), 0) == Counter()
    assert fair_shares(experiments, Counter({"a1": 0}), 8) == Counter()


def test_an_estimate_prices_the_gateway_model_syntax():
    catalog = PriceCatalog.load_default()
    usage = Usage(prompt_tokens=1_000, completion_tokens=1_000)
    bare = price(catalog, "gpt-4o-mini", usage)
    assert bare is not None and bare > 0
    assert price(catalog, "gpt-4o-mini/openai", usage) == bare
    assert price(catalog, "gpt-4o-mini/openai,claude-3-5-sonnet-20241022/anthropic", usage) == bare
    claude = price(catalog, "claude-3-5-sonnet-20241022/anthropic", usage)
    assert claude is not None and claude != bare
    assert price(catalog, "no-such-model-at-all", usage) is None
