"""Property test (Hypothesis): a value of the wrong type for any COMMON_CONFIG key is one clear
error naming the key, never a deep traceback (issue #18)."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rlcore.trainer_config import (COMMON_CONFIG, _expected_types, _matches, merge_config, normalize_config,
                                   validate_config_types)

TYPED_KEYS = sorted(k for k, v in COMMON_CONFIG.items() if _expected_types(k, v) is not None)

WRONG_VALUES = st.one_of(st.text(max_size=5), st.binary(max_size=4), st.lists(st.integers(), max_size=3),
                         st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.complex_numbers(),
                         st.integers(), st.floats(allow_nan=False), st.booleans(), st.tuples(st.integers()),
                         st.just(object()))


def test_most_keys_are_typed():
    assert len(TYPED_KEYS) > 0.8 * len(COMMON_CONFIG)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(TYPED_KEYS), WRONG_VALUES)
def test_a_wrong_type_is_an_error_naming_the_key(key, value):
    assume(not _matches(value, _expected_types(key, COMMON_CONFIG[key])))  # a wrong type for this key
    with pytest.raises((TypeError, ValueError)) as info:
        config = merge_config(COMMON_CONFIG, {key: value})
        validate_config_types(config, COMMON_CONFIG)
        normalize_config(config)
    assert repr(key) in str(info.value) or key in str(info.value)
    assert "\n" not in str(info.value)  # one line
