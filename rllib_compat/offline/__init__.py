"""``ray.rllib.offline``: the same objects as :mod:`rlcore.offline`.

Examples:
    >>> from rllib_compat.offline import JsonReader, JsonWriter, MixedInput, IOContext
    >>> import rlcore.offline
    >>> JsonReader is rlcore.offline.JsonReader, IOContext is rlcore.offline.IOContext
    (True, True)
"""

from rlcore.offline import (ImportanceSampling, ImportanceSamplingEstimator, InputReader, IOContext, JsonReader,
                            JsonWriter, MixedInput, NoopOutput, OffPolicyEstimate, OffPolicyEstimator, OutputWriter,
                            ShuffledInput, WeightedImportanceSampling, WeightedImportanceSamplingEstimator)
from rlcore.offline.dataset_reader import DatasetReader

__all__ = ["IOContext", "JsonReader", "JsonWriter", "NoopOutput", "OutputWriter", "InputReader", "MixedInput",
           "ShuffledInput", "DatasetReader", "OffPolicyEstimate", "OffPolicyEstimator", "ImportanceSampling",
           "WeightedImportanceSampling", "ImportanceSamplingEstimator", "WeightedImportanceSamplingEstimator"]
