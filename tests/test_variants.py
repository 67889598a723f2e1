"""Variant keys and shards: how a build names its PDFs and splits them across machines."""

from __future__ import annotations

import random

import pytest

from reportgen.build.variants import Shard, VariantKey
from reportgen.errors import ReportgenError

KEYS = [
    VariantKey(briefing, audience, language)
    for briefing in ("alpha", "beta", "gamma", "delta", "epsilon")
    for audience in ("delegation", "executive", "public")
    for language in ("en", "es")
]


def test_key_reads_as_briefing_slash_audience_slash_language() -> None:
    assert str(VariantKey("alpha", "public", "es")) == "alpha/public/es"


def test_key_file_name_is_briefing_dash_audience_dot_language_pdf() -> None:
    assert VariantKey("alpha", "public", "pt-BR").file_name == "alpha-public.pt-BR.pdf"


def test_keys_sort_by_briefing_then_audience_then_language() -> None:
    keys = [VariantKey("b", "a", "en"), VariantKey("a", "b", "es"), VariantKey("a", "b", "en")]
    assert [str(key) for key in sorted(keys)] == ["a/b/en", "a/b/es", "b/a/en"]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 15, 16])
def test_shards_cover_every_key_exactly_once(count: int) -> None:
    taken = [key for index in range(1, count + 1) for key in Shard(index, count).take(KEYS)]

    assert sorted(taken) == sorted(KEYS)  # every key, none twice


@pytest.mark.parametrize("count", [2, 3, 4, 7, 15, 16])
def test_shards_are_balanced_to_within_one_variant(count: int) -> None:
    sizes = [len(Shard(index, count).take(KEYS)) for index in range(1, count + 1)]

    assert max(sizes) - min(sizes) <= 1, sizes


@pytest.mark.parametrize("count", [2, 3, 4])
def test_shards_do_not_depend_on_the_order_keys_come_in(count: int) -> None:
    shuffled = KEYS.copy()
    random.Random(1).shuffle(shuffled)
    assert shuffled != KEYS

    for index in range(1, count + 1):
        shard = Shard(index, count)
        assert shard.take(shuffled) == shard.take(KEYS) == shard.take(reversed(KEYS))


@pytest.mark.parametrize(("index", "count"), [(0, 2), (3, 2), (-1, 2), (1, 0)])
def test_shard_outside_one_to_n_is_refused(index: int, count: int) -> None:
    with pytest.raises(ReportgenError, match=rf"shard {index}/{count}: need 1 <= K <= N"):
        Shard(index, count)


def test_shard_reads_as_k_slash_n() -> None:
    assert str(Shard(2, 4)) == "2/4"
