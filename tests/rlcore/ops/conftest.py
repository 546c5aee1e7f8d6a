"""Loads the ops test support module once, under a stable name Ray workers can be sent by value."""

import importlib.util
import sys
from pathlib import Path

import pytest

_NAME = "rlcore_ops_test_support"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).parent / "_support.py")
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
support = sys.modules[_NAME]


@pytest.fixture
def ops_support():
    return support


@pytest.fixture
def ray_ops(ray_session):
    """The Ray session, with the support module pickled by value for the actors."""
    ray_session.cloudpickle.register_pickle_by_value(support)
    yield ray_session
    ray_session.cloudpickle.unregister_pickle_by_value(support)
