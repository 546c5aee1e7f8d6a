"""Offline data (RLlib 1.x's ``rllib.offline``): where a rollout worker's experiences come from
when they do not come from its own sampler, and where its sampled experiences are written.

- Input (``input`` config, :mod:`rlcore.offline.io_config`): ``"sampler"``, files
  (:class:`JsonReader`), a mix (:class:`MixedInput`), shuffled (:class:`ShuffledInput`), Ray Data
  (``"dataset"``, :class:`~rlcore.offline.dataset_reader.DatasetReader`), or a callable
  ``ioctx -> InputReader`` (e.g. :class:`~rlcore.env.policy_server_input.PolicyServerInput`).
- Output (``output`` config): :class:`JsonWriter` (RLlib 1.x's JSON lines), or a callable.
- Off-policy estimation (``input_evaluation``): :class:`ImportanceSampling`,
  :class:`WeightedImportanceSampling`, :class:`OffPolicyEstimator` for one's own.

Examples:
    >>> from rlcore.offline import InputReader, IOContext
    >>> IOContext(config={"gamma": 0.9}, worker_index=1).worker_index
    1
"""

from rlcore.offline.estimators import (ImportanceSampling, ImportanceSamplingEstimator, OffPolicyEstimate,
                                       OffPolicyEstimator, WeightedImportanceSampling,
                                       WeightedImportanceSamplingEstimator)
from rlcore.offline.input_reader import InputReader
from rlcore.offline.io_config import register_input
from rlcore.offline.io_context import IOContext, SamplerInput
from rlcore.offline.json_format import OfflineDataError, PickledColumnError
from rlcore.offline.json_reader import JsonReader
from rlcore.offline.json_writer import JsonWriter
from rlcore.offline.mixed_input import MixedInput
from rlcore.offline.output_writer import NoopOutput, OutputWriter
from rlcore.offline.shuffled_input import ShuffledInput

__all__ = ["IOContext", "InputReader", "SamplerInput", "OutputWriter", "NoopOutput", "JsonReader", "JsonWriter",
           "MixedInput", "ShuffledInput", "OffPolicyEstimate", "OffPolicyEstimator", "ImportanceSampling",
           "WeightedImportanceSampling", "ImportanceSamplingEstimator", "WeightedImportanceSamplingEstimator",
           "OfflineDataError", "PickledColumnError", "register_input"]
