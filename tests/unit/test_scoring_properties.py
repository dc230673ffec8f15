"""Properties over random specs and responses of any shape."""

from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.domain.items import ItemSpec
from lms.domain.presentation import shuffle_options
from lms.domain.responses import ResponseError, parse_response
from lms.domain.scoring import ItemResult, score_item
from tests.unit.item_strategies import any_item, raw_responses

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _lower_bound(spec: ItemSpec) -> D:
    return D(0) if getattr(spec, "floor_at_zero", True) else -spec.points


def _check_bounds(spec: ItemSpec, result: ItemResult) -> None:
    assert result.max_score == spec.points
    if result.needs_marking:
        assert result.score is None
        return
    assert _lower_bound(spec) <= result.score <= result.max_score
    assert result.score == result.score.quantize(D("0.01"))


def _plausible(spec: ItemSpec):
    """Responses built from the spec's own ids and texts, to reach past the shape checks."""
    words = [spec.stem, "", "第11条", "200元", "1,234.5"]
    for name in ("choices", "lefts", "rights", "items", "sub_items"):
        words += [part.id for part in getattr(spec, name, ())]
    word = st.sampled_from(words)
    return st.one_of(word, st.lists(word, max_size=6), st.booleans(),
                     st.dictionaries(word, word | st.lists(word, max_size=3), max_size=5),
                     st.permutations([e.id for e in getattr(spec, "items", ())]))


@SETTINGS
@given(any_item, raw_responses, st.integers(0, 2**40))
def test_score_is_within_bounds_for_responses_of_any_shape(spec, raw, seed):
    _check_bounds(spec, score_item(spec, raw, seed=seed))


@SETTINGS
@given(st.data())
def test_score_is_within_bounds_for_plausible_responses(data):
    spec = data.draw(any_item)
    raw = data.draw(_plausible(spec))
    seed = data.draw(st.integers(0, 2**40))
    _check_bounds(spec, score_item(spec, raw, seed=seed))


@SETTINGS
@given(st.data())
def test_a_parsed_response_scores_like_its_raw_form(data):
    spec = data.draw(any_item)
    raw = data.draw(_plausible(spec))
    try:
        typed = parse_response(spec, raw)
    except ResponseError:
        return
    assert score_item(spec, typed, seed=3) == score_item(spec, raw, seed=3)
    assert parse_response(spec, typed.to_raw()) == typed


@SETTINGS
@given(any_item, st.integers(0, 2**40))
def test_shuffles_are_permutations(spec, seed):
    order = shuffle_options(spec, seed)
    ids = [part.id for name in ("choices", "rights", "items")
           for part in getattr(spec, name, ())]
    assert sorted(order) == sorted(ids) or order == ()
