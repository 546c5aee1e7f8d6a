"""PolicyServerInput with ``num_workers > 0`` as RLlib 1.x's serving example sets it up: remote worker
i serves on ``port + i - 1`` and the input creator returns None for the local worker; the trainer
trains from what reaches a remote worker's server."""

import os
import socket
import sys
import threading

import numpy as np
import pytest

from rlcore.env.policy_client import PolicyClient

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "serving")
TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.ray
def test_a_client_of_worker_1s_server_feeds_the_trainer(ray_mod):
    sys.path.insert(0, EXAMPLES)
    try:
        import cartpole_client
        import cartpole_server
    finally:
        sys.path.pop(0)
    from rlcore.algorithms.ppo import PPOTrainer

    ray_mod.cloudpickle.register_pickle_by_value(cartpole_server)  # the input creator runs in the worker
    base = _free_port()
    trainer = PPOTrainer(config=cartpole_server.make_config(
        port=base, seed=0, num_workers=1, train_batch_size=400, rollout_fragment_length=100, num_sgd_iter=2,
        sgd_minibatch_size=100, framework_threads_for_driver=1))
    stop = threading.Event()
    rewards = []
    try:
        ports = trainer.workers.foreach_worker(lambda w: (w.worker_index, getattr(w.input_reader, "port", None)))
        assert sorted(ports) == [(0, None), (1, base)]  # no reader on the local worker; worker 1 on port
        with pytest.raises(RuntimeError, match="rollout worker 0 has nothing to sample"):
            trainer.workers.local_worker().sample()
        client = PolicyClient(f"http://127.0.0.1:{base}", "local", update_interval=None)
        assert client.rollout_worker.worker_index == 1  # worker 1 described itself (GET_WORKER_ARGS)
        player = threading.Thread(target=lambda: rewards.extend(cartpole_client.play(client, seed=0, stop=stop)),
                                  daemon=True)
        player.start()
        results = [trainer.train() for _ in range(2)]
        assert results[-1]["timesteps_total"] >= 800  # two train batches, all from worker 1's client
        assert sum(r["episodes_this_iter"] for r in results) > 0  # its episode metrics reached the trainer
        # the trained weights went back to worker 1, and from its server to the client
        client.update_policy_weights()
        ours = client.rollout_worker.get_policy().get_weights()
        trained = trainer.get_policy().get_weights()
        assert all(np.allclose(ours[k], trained[k]) for k in trained)
        stop.set()
        player.join(TIMEOUT)  # the episode under way ends, then play() returns
        assert rewards and not player.is_alive()
        client.close()
    finally:
        stop.set()
        trainer.stop()
        ray_mod.cloudpickle.unregister_pickle_by_value(cartpole_server)
