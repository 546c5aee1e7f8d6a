#!/usr/bin/env bash
# Creates the side virtualenv .venv-peers that the benchmarks run their peers in (RLlib 2.60's and
# SB3's buffers and algorithms), next to the project's own .venv, which must not get ray[rllib]
# (it pins an older gymnasium than rlcore uses; see shared/DESIGN.md "Stack").
#
# gymnasium is left to pip: ray[rllib]==2.60.0 cannot be installed with gymnasium==1.4.0 (pip's
# resolver reports the conflict), and pip picks the newest gymnasium both peers accept (1.2.2).
#
# Usage: bash bench/peers_venv.sh   (from the repository root; re-running it is harmless)
set -euo pipefail
cd "$(dirname "$0")/.."
python3.11 -m venv .venv-peers
.venv-peers/bin/pip install torch==2.13.0
.venv-peers/bin/pip install stable-baselines3 "ray[rllib]==2.60.0"
.venv-peers/bin/python -c "import ray.rllib.utils.replay_buffers, stable_baselines3; print('peers ok')"
