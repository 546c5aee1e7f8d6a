#!/usr/bin/env bash
# Creates the side virtualenv .venv-peers-serving that bench/serving.py runs its peer in: RLlib's
# PolicyServerInput/PolicyClient (old API stack). RLlib 2.60 (.venv-peers, bench/peers_venv.sh) no
# longer ships ray/rllib/env/policy_server_input.py (2.50.0 removed it). 2.39.0 to 2.49.2 still ship
# it but cannot serve: their only sampler (EnvRunnerV2) refuses the ExternalEnv that both remote
# inference (the server's embedded worker) and local inference (the client's) run on ("Policies
# using the new Connector API do not support ExternalEnv"). 2.38.0 is the newest release whose
# sampler still runs an ExternalEnv (config enable_connectors=False), so it is the peer, in a venv
# of its own next to the project's .venv and .venv-peers.
#
# torch goes in first (the CPU wheel the project uses) so that ray's extras do not pull a CUDA
# torch; gymnasium is the one ray[rllib]==2.38.0 pins (0.28.1), chosen by pip; numpy stays below
# 2 because gymnasium 0.28.1 still uses np.bool8, and pyarrow below 21 (newer ones need numpy 2).
#
# Usage: bash bench/peers_serving_venv.sh   (from the repository root; re-running it is harmless)
set -euo pipefail
cd "$(dirname "$0")/.."
python3.11 -m venv .venv-peers-serving
.venv-peers-serving/bin/pip install torch==2.13.0
.venv-peers-serving/bin/pip install "ray[rllib]==2.38.0" "numpy<2" "pyarrow<21"
.venv-peers-serving/bin/python -c "from ray.rllib.env.policy_server_input import PolicyServerInput; from ray.rllib.env.policy_client import PolicyClient; print('serving peer ok')"
