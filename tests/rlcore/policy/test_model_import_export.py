"""Issue #19 item 4: model imports and exports as RLlib 1.x had them, on Keras 3's formats.

``Trainer.import_model(file)`` / ``import_policy_model_from_h5`` / ``Policy.import_model_from_h5``
load Keras weights (``.weights.h5``, legacy ``.h5``, ``.keras``) into a TF policy's model;
``import_model`` also takes back a policy checkpoint from ``export_policy_checkpoint``.
``export_policy_model`` writes serving formats (TorchScript / SavedModel) that load outside
rlcore and compute what the policy computes. Everything that cannot load says why.
"""

import os

import gymnasium as gym
import numpy as np
import pytest

from rlcore.algorithms.pg import PGTrainer

SMALL = {"fcnet_hiddens": [8]}


def _trainer(fw, seed, model=SMALL, env="CartPole-v1", **extra):
    return PGTrainer(config={"framework": fw, "num_workers": 0, "seed": seed, "rollout_fragment_length": 50,
                             "train_batch_size": 50, "model": model, **extra}, env=env)


def _same_weights(a, b):
    wa, wb = a.get_policy().get_weights(), b.get_policy().get_weights()
    return set(wa) == set(wb) and all(np.array_equal(wa[k], wb[k]) for k in wa)


OBS = np.array([[0.1, -0.2, 0.03, 0.4], [-0.3, 0.2, -0.05, -0.1]], np.float32)


def _dist_inputs(trainer):
    return trainer.get_policy().compute_actions(OBS, explore=False)[2]["action_dist_inputs"]


@pytest.mark.parametrize("filename,save", [("w.weights.h5", "save_weights"), ("m.keras", "save"), ("legacy.h5", "save")])
def test_tf_trainer_imports_keras_weight_files(tmp_path, filename, save):
    source, target = _trainer("tf2", seed=1), _trainer("tf2", seed=2)
    try:
        source.train()
        path = str(tmp_path / filename)
        getattr(source.get_policy().model.base_model, save)(path)  # a Keras model's own file, as 1.x's docs show
        assert not _same_weights(source, target)
        target.import_model(path)
        assert _same_weights(source, target)
        np.testing.assert_allclose(_dist_inputs(target), _dist_inputs(source), rtol=1e-6)
        target.train()  # trains on from the imported weights
    finally:
        source.cleanup()
        target.cleanup()


def test_tf_import_policy_model_from_h5_and_its_errors(tmp_path):
    import tensorflow as tf
    source, target = _trainer("tf2", seed=1), _trainer("tf2", seed=2)
    try:
        path = str(tmp_path / "w.weights.h5")
        source.get_policy().model.base_model.save_weights(path)
        target.import_policy_model_from_h5(path)
        assert _same_weights(source, target)
        # Another architecture: Keras' reason, with the file named.
        other = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])
        bad = str(tmp_path / "other.weights.h5")
        other.save_weights(bad)
        with pytest.raises(ValueError, match="do not fit the Keras model"):
            target.get_policy().import_model_from_h5(bad)
        with pytest.raises(FileNotFoundError, match="does not exist"):
            target.import_model(str(tmp_path / "missing.h5"))
        # A model whose variables are not all in one Keras model must say so (the LSTM wrapper).
        lstm = _trainer("tf2", seed=0, model={"fcnet_hiddens": [8], "use_lstm": True, "lstm_cell_size": 4})
        try:
            with pytest.raises(NotImplementedError, match="no single Keras model holds all"):
                lstm.import_model(path)
        finally:
            lstm.cleanup()
    finally:
        source.cleanup()
        target.cleanup()


@pytest.mark.parametrize("fw", ["torch", "tf2"])
def test_import_model_takes_back_an_exported_policy_checkpoint(tmp_path, fw):
    source, target = _trainer(fw, seed=1), _trainer(fw, seed=2)
    try:
        source.train()
        path = source.export_policy_checkpoint(str(tmp_path / "ckpt"))
        assert path.endswith("model.msgpack") and os.path.isfile(path)
        target.import_model(path)
        assert _same_weights(source, target)
        np.testing.assert_allclose(_dist_inputs(target), _dist_inputs(source), rtol=1e-6)
    finally:
        source.cleanup()
        target.cleanup()


def test_torch_models_refuse_keras_files_clearly(tmp_path):
    trainer = _trainer("torch", seed=0)
    try:
        path = tmp_path / "w.weights.h5"
        path.write_bytes(b"")
        with pytest.raises(NotImplementedError, match="torch model cannot load Keras .h5/.keras"):
            trainer.import_model(str(path))
    finally:
        trainer.cleanup()


class DictObsEnv(gym.Env):
    """Dict observations, so the exported model restores them itself."""

    def __init__(self, config=None):
        self.observation_space = gym.spaces.Dict({"pos": gym.spaces.Box(-1.0, 1.0, (2,), np.float32),
                                                  "kind": gym.spaces.Discrete(3)})
        self.action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return self.observation_space.sample(), {}

    def step(self, action):
        self.t += 1
        return self.observation_space.sample(), 1.0, self.t >= 5, False, {}


@pytest.mark.parametrize("fw", ["torch", "tf2"])
def test_exported_models_load_outside_rlcore_and_serving_formats_are_not_imported(tmp_path, fw):
    trainer = _trainer(fw, seed=0, env=DictObsEnv)
    try:
        trainer.train()
        export_dir = str(tmp_path / "export")
        trainer.export_policy_model(export_dir)
        policy = trainer.get_policy()
        obs = np.random.default_rng(0).uniform(-1, 1, (3, 5)).astype(np.float32)
        expected = policy.compute_actions(obs, explore=False)[2]["action_dist_inputs"]
        if fw == "torch":
            import torch

            served = torch.jit.load(os.path.join(export_dir, "model.pt"))(torch.as_tensor(obs))[0].detach().numpy()
            wrong = os.path.join(export_dir, "model.pt")
            kind = "TorchScript"
        else:
            import tensorflow as tf

            loaded = tf.saved_model.load(export_dir)  # held: its variables live as long as it does
            served = loaded.serve(tf.constant(obs))["outputs"].numpy()
            wrong, kind = export_dir, "SavedModel"
        np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-6)
        with pytest.raises(ValueError, match=f"is a (TensorFlow )?{kind} export|is a TensorFlow SavedModel"):
            trainer.import_model(wrong)
        with pytest.raises(ValueError, match="ONNX export is not supported"):
            trainer.export_policy_model(str(tmp_path / "onnx"), onnx=11)
        unknown = tmp_path / "weights.bin"
        unknown.write_bytes(b"")
        with pytest.raises(ValueError, match="cannot tell the format of"):
            trainer.import_model(str(unknown))
    finally:
        trainer.cleanup()


@pytest.mark.ray
def test_imported_weights_reach_the_remote_workers(tmp_path, ray_session):
    source = _trainer("torch", seed=1)
    target = _trainer("torch", seed=2, num_workers=1)
    try:
        path = source.export_policy_checkpoint(str(tmp_path))
        target.import_model(path)
        remote = ray_session.get(target.workers.remote_workers()[0].get_weights.remote(), timeout=60)
        local = source.get_policy().get_weights()
        assert all(np.array_equal(remote["default_policy"][k], local[k]) for k in local)
    finally:
        source.cleanup()
        target.cleanup()
