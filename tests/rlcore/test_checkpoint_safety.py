"""Checkpoints survive a process killed mid-save, and a checkpoint restored into the wrong
framework or algorithm is one clear error naming both (issue #18)."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from rlcore.checkpoints import CheckpointError, find_checkpoint_file, read_checkpoint, write_checkpoint

WRITER = textwrap.dedent("""
    import builtins, sys
    import rlcore.checkpoints as ck
    d = sys.argv[1]
    ck.write_checkpoint(d, {"iteration": 1, "worker": b"first"})

    class Stalling:  # writes the first 1000 bytes, says so, then waits (for the parent's SIGKILL)
        def __init__(self, f):
            self.f = f
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.f.close()
        def write(self, data):
            self.f.write(data[:1000])
            self.f.flush()
            print("writing", flush=True)
            sys.stdin.readline()
        def __getattr__(self, name):
            return getattr(self.f, name)

    def stalling_open(path, mode="r", *args, **kwargs):
        f = builtins.open(path, mode, *args, **kwargs)
        return Stalling(f) if str(path).endswith(".tmp") else f

    ck.open = stalling_open
    ck.write_checkpoint(d, {"iteration": 2, "worker": b"x" * 100000})
""")


def test_a_save_killed_midway_leaves_the_previous_checkpoint(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"  # checkpoint-2's first bytes are on disk
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert sorted(os.listdir(tmp_path)) == ["checkpoint-1", "checkpoint-2.tmp"]
    assert find_checkpoint_file(str(tmp_path)).endswith("checkpoint-1")
    state = read_checkpoint(str(tmp_path))
    assert state["iteration"] == 1 and state["worker"] == b"first"
    write_checkpoint(str(tmp_path), {"iteration": 2, "worker": b"again"})  # the next save replaces the debris
    assert read_checkpoint(str(tmp_path))["worker"] == b"again"
    assert sorted(os.listdir(tmp_path)) == ["checkpoint-1", "checkpoint-2"]


def _pg(framework, tmp_path, name="PG"):
    from rlcore.registry import get_trainer_class
    from rlcore.trial_logger import TrialLogger

    return get_trainer_class(name)(config={"env": "CartPole-v1", "framework": framework, "num_workers": 0,
                                           "train_batch_size": 50, "rollout_fragment_length": 50},
                                   logger_creator=lambda cfg: TrialLogger(str(tmp_path / "logs"), tensorboard=False))


def test_restore_into_another_framework_or_algorithm_names_both(tmp_path):
    torch_trainer = _pg("torch", tmp_path)
    path = torch_trainer.save(str(tmp_path / "ck"))
    torch_trainer.stop()
    tf_trainer = _pg("tf2", tmp_path)
    try:
        with pytest.raises(CheckpointError, match=r"holds 'torch' weights; this PG trainer runs framework='tf2'"):
            tf_trainer.restore(path)
    finally:
        tf_trainer.stop()
    a2c = _pg("torch", tmp_path, "A2C")
    try:
        with pytest.raises(CheckpointError, match=r"was written by PG, not A2C"):
            a2c.restore(path)
    finally:
        a2c.stop()


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"\x93\x01\x02", "is corrupt or not an rlcore trainer checkpoint"),
    (b"\x81\xa1a\x01", "no 'rlcore.trainer_checkpoint' format tag"),
])
def test_truncated_or_foreign_files_name_the_path(tmp_path, content, message):
    path = tmp_path / "checkpoint-5"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message) as info:
        read_checkpoint(str(tmp_path))
    assert str(path) in str(info.value)


def test_a_truncated_checkpoint_names_the_path(tmp_path):
    path = write_checkpoint(str(tmp_path), {"iteration": 3, "worker": b"w" * 1000})
    with open(path, "r+b") as f:
        f.truncate(500)
    with pytest.raises(CheckpointError, match="is corrupt or not an rlcore trainer checkpoint") as info:
        read_checkpoint(path)
    assert path in str(info.value)
