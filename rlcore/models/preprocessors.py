"""Preprocessors: turn raw observations of any gymnasium space into flat float arrays for models.

A ``Preprocessor`` is built for one observation space and maps each raw observation to a
float32 array of a fixed ``shape``: one-hot for ``Discrete``/``MultiDiscrete``, concatenated
children for ``Tuple``/``Dict``, resized / grey / rescaled frames for Atari images, and the
identity for plain ``Box`` spaces (RLlib 1.x ``ray.rllib.models.preprocessors``). The
preprocessed space is ``observation_space``; it keeps the raw space as ``.original_space``.
Numpy only.

Examples:
    >>> import gymnasium as gym
    >>> p = get_preprocessor(gym.spaces.Discrete(3))(gym.spaces.Discrete(3))
    >>> p.shape, p.transform(1).tolist()
    ((3,), [0.0, 1.0, 0.0])
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

#: Raw Atari frame and RAM shapes (RLlib picks the pixel/RAM preprocessors from them).
ATARI_OBS_SHAPE = (210, 160, 3)
ATARI_RAM_OBS_SHAPE = (128,)


def _gym():
    import gymnasium as gym

    return gym


class Preprocessor:
    """Base class: maps observations of ``obs_space`` to float arrays of ``self.shape``.

    Args:
        obs_space: The raw observation space.
        options: The model config (``dim``, ``grayscale``, ``zero_mean`` are read by image
            preprocessors); ``None`` means defaults.

    Examples:
        >>> import gymnasium as gym
        >>> p = NoPreprocessor(gym.spaces.Box(-1, 1, (2,)))
        >>> p.size, p.transform(np.zeros(2, np.float32)).shape
        (2, (2,))
    """

    def __init__(self, obs_space: Any, options: Optional[Dict[str, Any]] = None):
        self._obs_space = obs_space
        self._options = dict(options or {})
        self.shape = tuple(int(d) for d in self._init_shape(obs_space, self._options))
        self._size = int(np.prod(self.shape))

    def _init_shape(self, obs_space: Any, options: Dict[str, Any]) -> tuple:
        raise NotImplementedError

    def transform(self, observation: Any) -> np.ndarray:
        """Returns the preprocessed observation (float32 array of ``self.shape``)."""
        raise NotImplementedError

    def transform_batch(self, observations: Any) -> np.ndarray:
        """Preprocesses a batch (a sequence or leading-axis array): ``[B, *self.shape]``.

        Examples:
            >>> import gymnasium as gym
            >>> OneHotPreprocessor(gym.spaces.Discrete(2)).transform_batch(np.array([1, 0])).tolist()
            [[0.0, 1.0], [1.0, 0.0]]
        """
        rows = [self.transform(o) for o in observations]
        if not rows:
            return np.zeros((0,) + self.shape, np.float32)
        return np.stack(rows).astype(np.float32, copy=False)

    def write(self, observation: Any, array: np.ndarray, offset: int) -> None:
        """Writes the flattened preprocessed observation into ``array[offset:offset+size]``."""
        array[offset : offset + self._size] = np.asarray(self.transform(observation), np.float32).ravel()

    def check_shape(self, observation: Any) -> None:
        """Raises ``ValueError`` when ``observation`` is not in the raw space."""
        if not self._obs_space.contains(observation):
            raise ValueError(f"observation {observation!r} is outside the observation space {self._obs_space}")

    @property
    def size(self) -> int:
        """Number of floats in one preprocessed observation."""
        return self._size

    @property
    def observation_space(self) -> Any:
        """The preprocessed space (a float32 ``Box``), with ``.original_space`` = the raw space."""
        gym = _gym()
        space = gym.spaces.Box(-np.inf, np.inf, self.shape, dtype=np.float32)
        space.original_space = self._obs_space
        return space


class NoPreprocessor(Preprocessor):
    """The identity, for ``Box`` observations (values are passed through unchanged)."""

    def _init_shape(self, obs_space, options):
        return obs_space.shape

    def transform(self, observation):
        return np.asarray(observation)

    def transform_batch(self, observations):
        return np.asarray(observations)

    @property
    def observation_space(self):
        return self._obs_space


class OneHotPreprocessor(Preprocessor):
    """One-hot encodes ``Discrete(n)`` (to ``n`` floats) and ``MultiDiscrete(nvec)`` (to
    ``sum(nvec)`` floats, one block per component).

    Examples:
        >>> import gymnasium as gym
        >>> OneHotPreprocessor(gym.spaces.MultiDiscrete([2, 3])).transform([1, 2]).tolist()
        [0.0, 1.0, 0.0, 0.0, 1.0]
    """

    def _init_shape(self, obs_space, options):
        gym = _gym()
        if isinstance(obs_space, gym.spaces.Discrete):
            self._nvec = np.array([obs_space.n], np.int64)
            self._start = np.array([obs_space.start], np.int64)
        elif isinstance(obs_space, gym.spaces.MultiDiscrete):
            if obs_space.nvec.ndim != 1:
                raise ValueError(f"observation space {obs_space}: only 1-D MultiDiscrete spaces can be one-hot encoded")
            self._nvec = obs_space.nvec.astype(np.int64)
            self._start = np.asarray(obs_space.start, np.int64).reshape(-1)
        else:
            raise ValueError(f"OneHotPreprocessor needs a Discrete or MultiDiscrete space, got {obs_space}")
        self._offsets = np.concatenate([[0], np.cumsum(self._nvec)[:-1]])
        return (int(self._nvec.sum()),)

    def transform_batch(self, observations):
        idx = np.asarray(observations, np.int64).reshape(-1, len(self._nvec)) - self._start
        if np.any(idx < 0) or np.any(idx >= self._nvec):
            raise ValueError(f"observations {np.asarray(observations).tolist()} are outside {self._obs_space}")
        out = np.zeros((idx.shape[0], self._size), np.float32)
        out[np.arange(idx.shape[0])[:, None], idx + self._offsets] = 1.0
        return out

    def transform(self, observation):
        return self.transform_batch([observation])[0]


class _FlatteningPreprocessor(Preprocessor):
    """Shared code of the Tuple and Dict preprocessors: children written side by side."""

    def _children(self, obs_space) -> list:
        raise NotImplementedError

    def _values(self, observation) -> list:
        raise NotImplementedError

    def _init_shape(self, obs_space, options):
        self.preprocessors = [get_preprocessor(sub)(sub, options) for sub in self._children(obs_space)]
        return (sum(p.size for p in self.preprocessors),)

    def transform(self, observation):
        out = np.zeros(self.shape, np.float32)
        self.write(observation, out, 0)
        return out

    def write(self, observation, array, offset):
        values = self._values(observation)
        for p, v in zip(self.preprocessors, values):
            p.write(v, array, offset)
            offset += p.size


class TupleFlatteningPreprocessor(_FlatteningPreprocessor):
    """Preprocesses each component of a ``Tuple`` and concatenates them.

    Examples:
        >>> import gymnasium as gym
        >>> s = gym.spaces.Tuple([gym.spaces.Discrete(2), gym.spaces.Box(0, 1, (2,))])
        >>> TupleFlatteningPreprocessor(s).transform((1, np.array([0.5, 0.25]))).tolist()
        [0.0, 1.0, 0.5, 0.25]
    """

    def _children(self, obs_space):
        return list(obs_space.spaces)

    def _values(self, observation):
        if len(observation) != len(self.preprocessors):
            raise ValueError(f"observation {observation!r} does not match the Tuple space {self._obs_space}")
        return list(observation)


class DictFlatteningPreprocessor(_FlatteningPreprocessor):
    """Preprocesses each value of a ``Dict`` (in the space's key order) and concatenates them.

    Examples:
        >>> import gymnasium as gym
        >>> s = gym.spaces.Dict({"a": gym.spaces.Discrete(2), "b": gym.spaces.Box(0, 1, (1,))})
        >>> DictFlatteningPreprocessor(s).transform({"b": np.array([0.5]), "a": 0}).tolist()
        [1.0, 0.0, 0.5]
    """

    def _children(self, obs_space):
        return list(obs_space.spaces.values())

    def _values(self, observation):
        try:
            return [observation[k] for k in self._obs_space.spaces]
        except (KeyError, TypeError):
            raise ValueError(
                f"observation {observation!r} does not match the Dict space {self._obs_space}: "
                f"expected keys {list(self._obs_space.spaces)}"
            ) from None


def resize_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of an ``[H, W, C]`` (or ``[H, W]``) array to ``[height, width, C]``.

    Examples:
        >>> resize_image(np.arange(4.0).reshape(2, 2, 1), 4, 4)[..., 0].round(2).tolist()[0]
        [0.0, 0.25, 0.75, 1.0]
    """
    img = np.asarray(image, np.float32)
    h, w = img.shape[:2]
    ys = np.clip((np.arange(height) + 0.5) * h / height - 0.5, 0, h - 1)
    xs = np.clip((np.arange(width) + 0.5) * w / width - 0.5, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = (ys - y0)[:, None], (xs - x0)[None, :]
    if img.ndim == 3:
        wy, wx = wy[..., None], wx[..., None]
    top = img[y0][:, x0] * (1 - wx) + img[y0][:, x1] * wx
    bottom = img[y1][:, x0] * (1 - wx) + img[y1][:, x1] * wx
    return top * (1 - wy) + bottom * wy


class GenericPixelPreprocessor(Preprocessor):
    """Image frames: crop (raw 210-row Atari frames lose 25 rows top and bottom, as in RLlib),
    resize to ``dim`` x ``dim``, optionally average to one ``grayscale`` channel, and rescale to
    ``[-1, 1)`` when ``zero_mean`` (``(x - 128) / 128``) or to ``[0, 1]`` otherwise (``x / 255``).

    Examples:
        >>> import gymnasium as gym
        >>> space = gym.spaces.Box(0, 255, (210, 160, 3), np.uint8)
        >>> p = GenericPixelPreprocessor(space, {"dim": 42, "grayscale": True, "zero_mean": False})
        >>> out = p.transform(np.full((210, 160, 3), 255, np.uint8))
        >>> out.shape, float(out.max())
        ((42, 42, 1), 1.0)
    """

    def _init_shape(self, obs_space, options):
        self._dim = int(options.get("dim", 84))
        self._grayscale = bool(options.get("grayscale", False))
        self._zero_mean = bool(options.get("zero_mean", True))
        if len(obs_space.shape) != 3:
            raise ValueError(f"GenericPixelPreprocessor needs [H, W, C] image observations, got space {obs_space}")
        channels = 1 if self._grayscale else obs_space.shape[2]
        return (self._dim, self._dim, channels)

    def transform(self, observation):
        img = np.asarray(observation, np.float32)
        if img.shape[0] == ATARI_OBS_SHAPE[0]:
            img = img[25:-25, :, :]
        img = resize_image(img, self._dim, self._dim)
        if self._grayscale:
            img = img.mean(axis=2, keepdims=True)
        if self._zero_mean:
            img = (img - 128.0) / 128.0
        else:
            img = img * (1.0 / 255.0)
        return img.astype(np.float32)

    @property
    def observation_space(self):
        gym = _gym()
        low = -1.0 if self._zero_mean else 0.0
        space = gym.spaces.Box(low, 1.0, self.shape, dtype=np.float32)
        space.original_space = self._obs_space
        return space


class AtariRamPreprocessor(Preprocessor):
    """Atari RAM bytes: ``x / 255 - 0.5`` (RLlib 1.x).

    Examples:
        >>> import gymnasium as gym
        >>> p = AtariRamPreprocessor(gym.spaces.Box(0, 255, (128,), np.uint8))
        >>> float(p.transform(np.zeros(128, np.uint8))[0])
        -0.5
    """

    def _init_shape(self, obs_space, options):
        return (128,)

    def transform(self, observation):
        return (np.asarray(observation, np.float32) / 255.0 - 0.5).astype(np.float32)


class FlattenPreprocessor(Preprocessor):
    """Flattens a ``MultiBinary`` (or any array-valued) observation to float32.

    Examples:
        >>> import gymnasium as gym
        >>> FlattenPreprocessor(gym.spaces.MultiBinary([2, 2])).transform(np.eye(2, dtype=np.int8)).tolist()
        [1.0, 0.0, 0.0, 1.0]
    """

    def _init_shape(self, obs_space, options):
        return (int(np.prod(obs_space.shape)),)

    def transform(self, observation):
        return np.asarray(observation, np.float32).ravel()


def get_preprocessor(space: Any) -> type:
    """Returns the preprocessor class for a raw observation space (RLlib's choice rules).

    Discrete / MultiDiscrete -> ``OneHotPreprocessor``; Tuple -> ``TupleFlatteningPreprocessor``;
    Dict -> ``DictFlatteningPreprocessor``; ``Repeated`` (:mod:`rlcore.models.repeated`) ->
    ``RepeatedValuesPreprocessor``; a ``(210, 160, 3)`` Box (Atari frames) ->
    ``GenericPixelPreprocessor``; a ``(128,)`` uint8 Box (Atari RAM) -> ``AtariRamPreprocessor``;
    MultiBinary -> ``FlattenPreprocessor``; any other Box -> ``NoPreprocessor``.

    Raises:
        ValueError: for a space that is none of these, naming the space.

    Examples:
        >>> import gymnasium as gym
        >>> get_preprocessor(gym.spaces.Box(0, 1, (4,))).__name__
        'NoPreprocessor'
        >>> get_preprocessor(gym.spaces.Text(5))
        Traceback (most recent call last):
        ...
        ValueError: observation space Text(1, 5, charset=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz) is not supported; expected Box, Discrete, MultiDiscrete, MultiBinary, Tuple, Dict or Repeated
    """
    gym = _gym()
    from rlcore.models.repeated import Repeated, RepeatedValuesPreprocessor

    if isinstance(space, Repeated):
        return RepeatedValuesPreprocessor
    if isinstance(space, (gym.spaces.Discrete, gym.spaces.MultiDiscrete)):
        return OneHotPreprocessor
    if isinstance(space, gym.spaces.Tuple):
        return TupleFlatteningPreprocessor
    if isinstance(space, gym.spaces.Dict):
        return DictFlatteningPreprocessor
    if isinstance(space, gym.spaces.MultiBinary):
        return FlattenPreprocessor
    if isinstance(space, gym.spaces.Box):
        if tuple(space.shape) == ATARI_OBS_SHAPE:
            return GenericPixelPreprocessor
        if tuple(space.shape) == ATARI_RAM_OBS_SHAPE and space.dtype == np.uint8:
            return AtariRamPreprocessor
        return NoPreprocessor
    raise ValueError(
        f"observation space {space} is not supported; expected Box, Discrete, MultiDiscrete, MultiBinary, Tuple, Dict "
        "or Repeated"
    )


__all__ = [
    "ATARI_OBS_SHAPE",
    "ATARI_RAM_OBS_SHAPE",
    "AtariRamPreprocessor",
    "DictFlatteningPreprocessor",
    "FlattenPreprocessor",
    "GenericPixelPreprocessor",
    "NoPreprocessor",
    "OneHotPreprocessor",
    "Preprocessor",
    "TupleFlatteningPreprocessor",
    "get_preprocessor",
    "resize_image",
]
