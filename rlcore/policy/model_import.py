"""What ``Trainer.import_model`` can load into a policy, told apart by the file, with clear errors.

Two kinds of files hold weights a policy can take back (RLlib 1.x imported only the first):

- **Keras weight files** (``.weights.h5``, legacy ``.h5``, ``.keras``: what Keras 3's
  ``save_weights`` / ``save`` write) go through ``Policy.import_model_from_h5`` into a TF model;
- **policy checkpoints** (the ``.msgpack`` file of ``Policy.export_checkpoint`` /
  ``Trainer.export_policy_checkpoint``) go through ``Policy.import_checkpoint``.

``Trainer.export_policy_model``'s SavedModel directories and TorchScript ``model.pt`` files are
serving formats (a graph with the weights baked in): they load with ``tf.saved_model.load`` /
``torch.jit.load``, not into a policy, and are refused with that advice.

Examples:
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> open(os.path.join(d, "w.weights.h5"), "wb").close(); open(os.path.join(d, "model.pt"), "wb").close()
    >>> import_format(os.path.join(d, "w.weights.h5"))
    'h5'
    >>> import_format(os.path.join(d, "model.pt"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: import_model: '.../model.pt' is a TorchScript export (a serving format); load it with torch.jit.load, ...
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["import_format", "import_into_policy"]

_H5 = (".h5", ".keras")


def import_format(path: str) -> str:
    """``"h5"`` (Keras weights) or ``"checkpoint"`` (a policy checkpoint) for an importable file.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: a serving export (SavedModel directory, TorchScript file) or any other file,
            naming it and what can be imported.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"import_model: {path!r} does not exist")
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "saved_model.pb")):
            raise ValueError(f"import_model: {path!r} is a TensorFlow SavedModel (a serving format); load it with "
                             "tf.saved_model.load, or import Keras weights (.weights.h5 / .h5 / .keras) or a policy "
                             "checkpoint (.msgpack) instead")
        raise ValueError(f"import_model: {path!r} is a directory; give a Keras weights file (.weights.h5 / .h5 / "
                         ".keras) or a policy checkpoint file (.msgpack)")
    if path.endswith(_H5):
        return "h5"
    if path.endswith(".msgpack"):
        return "checkpoint"
    if path.endswith((".pt", ".pth")):
        raise ValueError(f"import_model: {path!r} is a TorchScript export (a serving format); load it with "
                         "torch.jit.load, or import a policy checkpoint (.msgpack) instead")
    raise ValueError(f"import_model: cannot tell the format of {path!r}; expected a Keras weights file "
                     "(.weights.h5 / .h5 / .keras) or a policy checkpoint (.msgpack)")


def import_into_policy(policy: Any, path: str) -> str:
    """Loads ``path`` into ``policy`` by its :func:`import_format`; returns the format."""
    fmt = import_format(path)
    if fmt == "h5":
        policy.import_model_from_h5(path)
    else:
        policy.import_checkpoint(path)
    return fmt
