"""Tests of rlcore.data.columns: names are RLlib's strings and reachable from SampleBatch."""

import pytest

from rlcore.data.columns import Columns
from rlcore.data.sample_batch import SampleBatch

NAMES = [
    ("OBS", "obs"),
    ("CUR_OBS", "obs"),
    ("NEXT_OBS", "new_obs"),
    ("ACTIONS", "actions"),
    ("REWARDS", "rewards"),
    ("PREV_ACTIONS", "prev_actions"),
    ("PREV_REWARDS", "prev_rewards"),
    ("DONES", "dones"),
    ("TERMINATEDS", "terminateds"),
    ("TRUNCATEDS", "truncateds"),
    ("INFOS", "infos"),
    ("ACTION_DIST_INPUTS", "action_dist_inputs"),
    ("ACTION_PROB", "action_prob"),
    ("ACTION_LOGP", "action_logp"),
    ("EPS_ID", "eps_id"),
    ("UNROLL_ID", "unroll_id"),
    ("AGENT_INDEX", "agent_index"),
    ("VF_PREDS", "vf_preds"),
    ("T", "t"),
    ("SEQ_LENS", "seq_lens"),
    ("ENV_ID", "env_id"),
    ("ADVANTAGES", "advantages"),
    ("VALUE_TARGETS", "value_targets"),
    ("WEIGHTS", "weights"),
    ("BATCH_INDEXES", "batch_indexes"),
]


@pytest.mark.parametrize("attr,value", NAMES)
def test_constant_value_and_sample_batch_attribute(attr, value):
    assert getattr(Columns, attr) == value
    assert getattr(SampleBatch, attr) == value
    assert value in Columns.all_names()


def test_all_names_excludes_prefixes():
    assert "state_in_" not in Columns.all_names()
    assert Columns.all_names() == {v for _, v in NAMES}


@pytest.mark.parametrize(
    "name,expected",
    [("state_in_0", True), ("state_in_12", True), ("state_out_0", False), ("obs", False), (3, False)],
)
def test_is_state_in(name, expected):
    assert Columns.is_state_in(name) is expected


def test_state_names():
    assert Columns.state_in(2) == "state_in_2"
    assert Columns.state_out(0) == "state_out_0"
