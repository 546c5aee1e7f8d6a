"""rlcore.framework: lazy framework imports and framework-name normalisation."""

import os
import subprocess
import sys

import pytest

from rlcore.framework import normalize_framework, try_import_tf, try_import_torch


@pytest.mark.parametrize("name,expected", [("tf", "tf2"), ("tfe", "tf2"), ("tf2", "tf2"), ("torch", "torch")])
def test_normalize_framework(name, expected):
    assert normalize_framework(name) == expected


@pytest.mark.parametrize("bad", ["jax", "Torch", None, 2])
def test_unknown_framework_is_a_value_error_naming_it(bad):
    with pytest.raises(ValueError, match=f"framework={bad!r}"):
        normalize_framework(bad)


def test_try_import_torch():
    import torch
    t, nn = try_import_torch()
    assert t is torch and nn is torch.nn


def test_try_import_tf_returns_tf1_tf_and_version():
    import tensorflow as tf
    tf1, tf_, tfv = try_import_tf()
    assert tf_ is tf and tf1 is tf.compat.v1 and tfv == 2


def test_missing_frameworks_give_none(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    assert try_import_torch() == (None, None)
    assert try_import_tf() == (None, None, None)


def test_importing_rlcore_models_imports_no_framework_and_tf_import_is_silent():
    code = (
        "import sys, rlcore, rlcore.framework, rlcore.models, rlcore.data.view_requirement\n"
        "assert not {'torch', 'tensorflow', 'ray'} & set(sys.modules), sorted({'torch','tensorflow','ray'} & set(sys.modules))\n"
        "from rlcore.framework import try_import_tf\n"
        "try_import_tf()\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == ""
