"""chop_into_sequences / pad_batch_to_sequences_of_same_size against hand-computed layouts."""

import numpy as np
import pytest

from rlcore.data.sample_batch import SampleBatch
from rlcore.policy.rnn_sequencing import chop_into_sequences, pad_batch_to_sequences_of_same_size, sequence_mask

CASES = [
    # (eps_ids, max_seq_len, dynamic_max, expected seq_lens, expected padded feature)
    ([1, 1, 1, 5, 5], 4, True, [3, 2], [1, 2, 3, 4, 5, 0]),
    ([1, 1, 1, 5, 5], 4, False, [3, 2], [1, 2, 3, 0, 4, 5, 0, 0]),
    ([1, 1, 1, 1, 1], 2, True, [2, 2, 1], [1, 2, 3, 4, 5, 0]),
    ([7, 8, 9, 9, 9], 3, True, [1, 1, 3], [1, 0, 0, 2, 0, 0, 3, 4, 5]),
]


@pytest.mark.parametrize("eps,max_len,dynamic,lens,padded", CASES)
def test_chop_layouts(eps, max_len, dynamic, lens, padded):
    feats, init, seq_lens = chop_into_sequences(
        feature_columns=[np.arange(1, 6)], state_columns=[np.arange(10, 60, 10)],
        episode_ids=np.array(eps), unroll_ids=np.zeros(5, int), agent_indices=np.zeros(5, int),
        max_seq_len=max_len, dynamic_max=dynamic)
    assert seq_lens.tolist() == lens and seq_lens.dtype == np.int32
    assert feats[0].tolist() == padded
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    assert init[0].tolist() == (np.arange(10, 60, 10)[starts]).tolist()


def test_agent_and_unroll_ids_split_sequences():
    _, _, seq_lens = chop_into_sequences(
        feature_columns=[np.zeros(4)], state_columns=[], episode_ids=np.zeros(4, int),
        unroll_ids=np.array([0, 0, 1, 1]), agent_indices=np.array([0, 1, 1, 1]), max_seq_len=10)
    assert seq_lens.tolist() == [1, 1, 2]


def test_multidim_features_and_given_seq_lens():
    obs = np.arange(12, dtype=np.float32).reshape(6, 2)
    feats, init, seq_lens = chop_into_sequences(
        feature_columns=[obs], state_columns=[np.ones((2, 3))], seq_lens=[4, 2], max_seq_len=4,
        states_already_reduced_to_init=True)
    assert feats[0].shape == (8, 2) and feats[0][6:].tolist() == [[0, 0], [0, 0]]
    assert init[0].shape == (2, 3) and seq_lens.tolist() == [4, 2]
    with pytest.raises(ValueError, match="seq_lens sum to 5"):
        chop_into_sequences(feature_columns=[obs], state_columns=[], seq_lens=[4, 1], max_seq_len=4)


def test_shuffle_keeps_sequences_together():
    np.random.seed(0)
    feats, init, seq_lens = chop_into_sequences(
        feature_columns=[np.arange(1, 10)], state_columns=[np.arange(1, 10)],
        episode_ids=np.repeat([0, 1, 2], 3), max_seq_len=3, shuffle=True)
    seqs = feats[0].reshape(3, 3)
    assert sorted(map(tuple, seqs.tolist())) == [(1, 2, 3), (4, 5, 6), (7, 8, 9)]
    assert init[0].tolist() == seqs[:, 0].tolist()


def test_bad_max_seq_len():
    with pytest.raises(ValueError, match="max_seq_len=0"):
        chop_into_sequences(feature_columns=[np.zeros(2)], state_columns=[], max_seq_len=0)


def test_pad_batch_in_place_on_a_sample_batch():
    b = SampleBatch({"obs": np.arange(5.0), "actions": np.arange(5), "eps_id": np.array([0, 0, 0, 1, 1]),
                     "infos": np.array([{}] * 5, dtype=object), "state_in_0": np.arange(5.0)[:, None],
                     "state_out_0": np.arange(5.0)[:, None]})
    d = dict(b)
    pad_batch_to_sequences_of_same_size(d, max_seq_len=4)
    assert d["seq_lens"].tolist() == [3, 2]
    assert d["obs"].tolist() == [0, 1, 2, 3, 4, 0]
    assert d["state_in_0"].ravel().tolist() == [0.0, 3.0]
    assert len(d["infos"]) == 5 and len(d["state_out_0"]) == 5  # left as they were


def test_pad_batch_leaves_non_recurrent_batches_alone():
    d = {"obs": np.arange(4.0)}
    pad_batch_to_sequences_of_same_size(d, max_seq_len=4)
    assert d == {"obs": d["obs"]} and "seq_lens" not in d


def test_sequence_mask():
    assert sequence_mask([3, 1]).tolist() == [True, True, True, True, False, False]


def test_batch_divisibility_padding_for_non_recurrent_batches():
    d = {"obs": np.arange(5.0), "eps_id": np.array([0, 0, 0, 1, 1])}
    pad_batch_to_sequences_of_same_size(d, max_seq_len=20, batch_divisibility_req=4)
    assert d["obs"].tolist() == [0, 1, 2, 0, 3, 4, 0, 0] and d["seq_lens"].tolist() == [3, 2]
    e = {"obs": np.arange(4.0), "eps_id": np.zeros(4, int)}
    pad_batch_to_sequences_of_same_size(e, max_seq_len=20, batch_divisibility_req=4)
    assert "seq_lens" not in e
