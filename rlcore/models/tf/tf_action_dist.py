"""TensorFlow 2 action distributions (RLlib 1.x ``models/tf/tf_action_dist.py`` names).

The same formulas as ``rlcore.models.torch.torch_action_dist`` written with TF ops (no
tensorflow-probability), usable eagerly and inside ``tf.function``. Each method returns ``[B]``
per row; the same inputs give the torch numbers to 1e-5 (tested).

Examples:
    >>> d = Categorical(tf.constant([[0.0, 0.0]]))
    >>> round(float(d.entropy()[0]), 4), round(float(d.logp(tf.constant([1]))[0]), 4)
    (0.6931, -0.6931)
"""

from __future__ import annotations

import math
from typing import Any, List, Optional

import numpy as np

from rlcore.framework import try_import_tf
from rlcore.models.action_dist import ActionDistribution, flat_action_size, flatten_space, flatten_struct, squash_bounds, unflatten_struct
from rlcore.models.tf.tf_modelv2 import FLAT_SHAPE

tf1, tf, tfv = try_import_tf()

#: Bounds of log-std outputs for the squashed Gaussian (RLlib's MIN/MAX_LOG_NN_OUTPUT).
MIN_LOG_NN_OUTPUT = -20.0
MAX_LOG_NN_OUTPUT = 2.0
#: Small constant keeping logs and atanh finite (RLlib's SMALL_NUMBER).
SMALL_NUMBER = 1e-6
#: Quadrature nodes used for the squashed Gaussian's entropy.
GH_NODES = 64
LAGUERRE_NODES = 48
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _as_tensor(x: Any, dtype: Any = None) -> Any:
    if tf.is_tensor(x):
        return x if dtype is None or x.dtype == dtype else tf.cast(x, dtype)
    arr = np.asarray(x)
    if dtype is None and np.issubdtype(arr.dtype, np.floating) and arr.dtype != np.float64:
        arr = arr.astype(np.float32)
    t = tf.convert_to_tensor(arr)
    return t if dtype is None or t.dtype == dtype else tf.cast(t, dtype)


def _eager_seed() -> Any:
    """The seed pair a stateful random op would draw now, as a tensor, when running eagerly under a
    global seed (``tf.random.set_seed``); ``None`` otherwise.

    Eagerly, a stateful random op (``tf.random.categorical``, ``tf.random.normal``) under a global
    seed gets a new op seed each call, so TF instantiates a new kernel for every call (about 30x
    the op's own cost on small batches, and a kernel cache that keeps growing). The distributions
    below then draw with the stateless op of the same distribution, keyed by this seed pair: each
    call a fresh seed from the same seeded sequence (reproducible after ``tf.random.set_seed``).
    Traced (inside ``tf.function``), and without a global seed, the stateful op is used as is.

    Examples:
        >>> tf.random.set_seed(3); a = _eager_seed(); tf.random.set_seed(3); b = _eager_seed()
        >>> a.dtype, a.numpy().tolist() == b.numpy().tolist()
        (tf.int64, True)
    """
    if not tf.executing_eagerly():
        return None
    global_seed, op_seed = tf.compat.v1.get_seed(None)
    if global_seed is None:
        return None
    return tf.constant([global_seed, op_seed], dtype=tf.int64)


def _normal(shape: Any, dtype: Any) -> Any:
    """``tf.random.normal(shape)``; eagerly under a global seed, its stateless twin (see :func:`_eager_seed`)."""
    seed = _eager_seed()
    if seed is None:
        return tf.random.normal(shape, dtype=dtype)
    return tf.random.stateless_normal(shape, seed, dtype=dtype)


def _log1m_tanh_sq(u):
    """log(1 - tanh(u)^2), computed stably as 2 * (log 2 - u - softplus(-2u))."""
    return 2.0 * (math.log(2.0) - u - tf.nn.softplus(-2.0 * u))


def _expected_log1m_tanh_sq(mean, std):
    """E[log(1 - tanh(u)^2)] for u ~ N(mean, std), elementwise (see the torch twin for the method)."""
    dt = mean.dtype
    x, w = np.polynomial.hermite.hermgauss(GH_NODES)
    x, w = tf.constant(x, dtype=dt), tf.constant(w / math.sqrt(math.pi), dtype=dt)
    u = tf.expand_dims(mean, -1) + math.sqrt(2.0) * tf.expand_dims(std, -1) * x
    gh = tf.reduce_sum(_log1m_tanh_sq(u) * w, axis=-1)
    t, lw = np.polynomial.laguerre.laggauss(LAGUERRE_NODES)
    lw_log1p = tf.constant(lw * np.exp(t) * np.log1p(np.exp(-t)), dtype=dt)
    half_t = tf.constant(t / 2.0, dtype=dt)
    m, s = tf.expand_dims(mean, -1), tf.expand_dims(std, -1)
    pdf = (tf.exp(-0.5 * tf.square((half_t - m) / s)) + tf.exp(-0.5 * tf.square((half_t + m) / s))) / (s * math.sqrt(2 * math.pi))
    e_h = 0.5 * tf.reduce_sum(lw_log1p * pdf, axis=-1)
    e_abs = std * math.sqrt(2.0 / math.pi) * tf.exp(-0.5 * tf.square(mean / std)) + mean * tf.math.erf(mean / (math.sqrt(2.0) * std))
    lag = 2.0 * math.log(2.0) - 2.0 * e_abs - 2.0 * e_h
    return tf.where(std < 1.0, gh, lag)


def _lbeta(a, b):
    return tf.math.lgamma(a) + tf.math.lgamma(b) - tf.math.lgamma(a + b)


class TFActionDistribution(ActionDistribution):
    """Base of the TF distributions: converts inputs to a tensor, remembers the last sample.

    Examples:
        >>> TFActionDistribution(np.zeros((2, 3), np.float32)).inputs.dtype
        tf.float32
    """

    def __init__(self, inputs: Any, model: Any = None, **kwargs: Any):
        super().__init__(_as_tensor(inputs), model)
        self.last_sample = None

    def sampled_action_logp(self):
        if self.last_sample is None:
            raise ValueError("sampled_action_logp() needs a sample() or deterministic_sample() first")
        return self.logp(self.last_sample)

    def _check_same(self, other: ActionDistribution) -> None:
        if not isinstance(other, type(self)) and not isinstance(self, type(other)):
            raise TypeError(f"kl: other is a {type(other).__name__}, expected a {type(self).__name__}")


class Categorical(TFActionDistribution):
    """Categorical over ``n`` actions from ``n`` logits (divided by ``temperature``); actions are
    ``low .. low + n - 1`` (``low`` = a gymnasium ``Discrete(n, start)``'s start, usually 0).

    Examples:
        >>> int(Categorical(tf.constant([[0.0, 2.0]])).deterministic_sample()[0])
        1
    """

    def __init__(self, inputs: Any, model: Any = None, temperature: float = 1.0, low: int = 0):
        if temperature <= 0:
            raise ValueError(f"temperature={temperature!r} must be > 0")
        super().__init__(inputs, model)
        self.temperature = temperature
        self.low = int(low)
        # x / 1.0 is x: no division op at the default temperature (the same values).
        self.logits = self.inputs if temperature == 1.0 else self.inputs / temperature
        self.log_probs = tf.nn.log_softmax(self.logits, axis=-1)

    def sample(self):
        seed = _eager_seed()
        if seed is None:
            draw = tf.random.categorical(self.logits, 1)
        else:
            draw = tf.random.stateless_categorical(self.logits, 1, seed, dtype=tf.int64)
        self.last_sample = tf.reshape(draw, FLAT_SHAPE)
        if self.low:
            self.last_sample = self.last_sample + self.low
        return self.last_sample

    def deterministic_sample(self):
        self.last_sample = tf.argmax(self.logits, axis=-1)
        if self.low:
            self.last_sample = self.last_sample + self.low
        return self.last_sample

    def sampled_action_logp(self):
        # At sampling time no gradient is taken: one gather op (logp's one-hot select gives the
        # same values, and is the cheaper one to differentiate eagerly).
        if self.last_sample is None:
            raise ValueError("sampled_action_logp() needs a sample() or deterministic_sample() first")
        x = self.last_sample - self.low if self.low else self.last_sample
        return tf.gather(self.log_probs, x, axis=1, batch_dims=1)

    def logp(self, x):
        x = tf.cast(_as_tensor(x), tf.int64)
        if x.shape.rank != 1:
            x = tf.reshape(x, FLAT_SHAPE)
        if self.low:
            x = x - self.low
        # The row's log-prob picked with a one-hot select: the value tf.gather(batch_dims=1) gives,
        # and the same gradient, but eagerly its gradient is 3 ops instead of ~15 (_BatchGatherGrad).
        picked = tf.one_hot(x, tf.shape(self.log_probs)[-1], on_value=True, off_value=False, dtype=tf.bool)
        return tf.reduce_sum(tf.where(picked, self.log_probs, tf.zeros_like(self.log_probs)), axis=-1)

    def entropy(self):
        return -tf.reduce_sum(tf.exp(self.log_probs) * self.log_probs, axis=-1)

    def kl(self, other):
        self._check_same(other)
        return tf.reduce_sum(tf.exp(self.log_probs) * (self.log_probs - other.log_probs), axis=-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(action_space.n)


class MultiCategorical(TFActionDistribution):
    """Independent categoricals (MultiDiscrete): logits of widths ``input_lens`` side by side;
    actions are shifted by ``low`` (for integer Box spaces whose lower bound is not 0).

    Examples:
        >>> d = MultiCategorical(tf.zeros((1, 5)), input_lens=[2, 3])
        >>> tuple(d.sample().shape), round(float(d.entropy()[0]), 4)
        ((1, 2), 1.7918)
    """

    def __init__(
        self, inputs: Any, model: Any = None, input_lens: Optional[List[int]] = None, action_space: Any = None, low: Any = 0
    ):
        super().__init__(inputs, model)
        if not input_lens or sum(input_lens) != self.inputs.shape[-1]:
            raise ValueError(f"input_lens={input_lens!r} must sum to the input width {self.inputs.shape[-1]}")
        self.input_lens = list(input_lens)
        self.low = tf.constant(np.broadcast_to(np.asarray(low, np.int64), (len(self.input_lens),)).copy())
        self.cats = [Categorical(x, model) for x in tf.split(self.inputs, self.input_lens, axis=-1)]

    def sample(self):
        self.last_sample = tf.stack([c.sample() for c in self.cats], axis=-1) + self.low
        return self.last_sample

    def deterministic_sample(self):
        self.last_sample = tf.stack([c.deterministic_sample() for c in self.cats], axis=-1) + self.low
        return self.last_sample

    def logp(self, x):
        x = tf.reshape(tf.cast(_as_tensor(x), tf.int64), [-1, len(self.cats)]) - self.low
        return tf.reduce_sum(tf.stack([c.logp(x[:, i]) for i, c in enumerate(self.cats)], axis=-1), axis=-1)

    def multi_entropy(self):
        return tf.stack([c.entropy() for c in self.cats], axis=-1)

    def entropy(self):
        return tf.reduce_sum(self.multi_entropy(), axis=-1)

    def multi_kl(self, other):
        self._check_same(other)
        return tf.stack([c.kl(o) for c, o in zip(self.cats, other.cats)], axis=-1)

    def kl(self, other):
        return tf.reduce_sum(self.multi_kl(other), axis=-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(np.sum(action_space.nvec))


class DiagGaussian(TFActionDistribution):
    """Gaussian with diagonal covariance; inputs are ``mean || log_std`` (``2 * dim`` wide).

    Examples:
        >>> round(float(DiagGaussian(tf.zeros((1, 2))).logp(tf.zeros((1, 1)))[0]), 4)
        -0.9189
    """

    def __init__(self, inputs: Any, model: Any = None):
        super().__init__(inputs, model)
        self.mean, self.log_std = tf.split(self.inputs, 2, axis=-1)
        self.std = tf.exp(self.log_std)

    def sample(self):
        self.last_sample = self.mean + self.std * _normal(tf.shape(self.mean), self.mean.dtype)
        return self.last_sample

    def deterministic_sample(self):
        self.last_sample = self.mean
        return self.last_sample

    def logp(self, x):
        x = tf.reshape(_as_tensor(x, self.mean.dtype), tf.shape(self.mean))
        z = (x - self.mean) / self.std
        return tf.reduce_sum(-0.5 * z * z - self.log_std - _HALF_LOG_2PI, axis=-1)

    def entropy(self):
        return tf.reduce_sum(self.log_std + 0.5 + _HALF_LOG_2PI, axis=-1)

    def kl(self, other):
        self._check_same(other)
        var_ratio_term = (tf.square(self.std) + tf.square(self.mean - other.mean)) / (2.0 * tf.square(other.std))
        return tf.reduce_sum(other.log_std - self.log_std + var_ratio_term - 0.5, axis=-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(np.prod(action_space.shape)) * 2


class SquashedGaussian(TFActionDistribution):
    """A Gaussian squashed by tanh and rescaled to ``[low, high]`` (SAC's distribution).

    Same definition as ``TorchSquashedGaussian`` (scalar or per-dimension bounds): exact ``logp``, ``entropy`` up to a
    quadrature (error ~1e-10), ``kl`` = the Gaussian KL.

    Examples:
        >>> float(SquashedGaussian(tf.zeros((1, 2)), low=-2.0, high=2.0).deterministic_sample()[0, 0])
        0.0
    """

    def __init__(self, inputs: Any, model: Any = None, low: Any = -1.0, high: Any = 1.0):
        low, high = squash_bounds(low, high)
        super().__init__(inputs, model)
        self.mean, log_std = tf.split(self.inputs, 2, axis=-1)
        if np.ndim(low) == 0:
            self.low, self.high = float(low), float(high)
            self._log_half_range = math.log((self.high - self.low) / 2.0)
        else:  # per-dimension bounds (a Box's low/high arrays)
            self.low = tf.constant(low, dtype=self.mean.dtype)
            self.high = tf.constant(high, dtype=self.mean.dtype)
            self._log_half_range = tf.constant(np.log((high - low) / 2.0), dtype=self.mean.dtype)
        self.log_std = tf.clip_by_value(log_std, MIN_LOG_NN_OUTPUT, MAX_LOG_NN_OUTPUT)
        self.std = tf.exp(self.log_std)
        self._last_u = None

    def _squash(self, u):
        return (tf.tanh(u) + 1.0) / 2.0 * (self.high - self.low) + self.low

    def _unsquash(self, y):
        z = (y - self.low) / (self.high - self.low) * 2.0 - 1.0
        return tf.atanh(tf.clip_by_value(z, -1.0 + SMALL_NUMBER, 1.0 - SMALL_NUMBER))

    def _logp_u(self, u):
        z = (u - self.mean) / self.std
        gauss = -0.5 * z * z - self.log_std - _HALF_LOG_2PI
        return tf.reduce_sum(gauss - _log1m_tanh_sq(u) - self._log_half_range, axis=-1)

    def sample(self):
        self._last_u = self.mean + self.std * _normal(tf.shape(self.mean), self.mean.dtype)
        self.last_sample = self._squash(self._last_u)
        return self.last_sample

    def deterministic_sample(self):
        self._last_u = self.mean
        self.last_sample = self._squash(self.mean)
        return self.last_sample

    def sampled_action_logp(self):
        if self._last_u is None:
            raise ValueError("sampled_action_logp() needs a sample() or deterministic_sample() first")
        return self._logp_u(self._last_u)

    def logp(self, x):
        x = tf.reshape(_as_tensor(x, self.mean.dtype), tf.shape(self.mean))
        return self._logp_u(self._unsquash(x))

    def entropy(self):
        expected_log_jac = _expected_log1m_tanh_sq(self.mean, self.std)
        gauss_entropy = self.log_std + 0.5 + _HALF_LOG_2PI
        return tf.reduce_sum(gauss_entropy + expected_log_jac + self._log_half_range, axis=-1)

    def kl(self, other):
        self._check_same(other)
        if not (np.array_equal(np.asarray(self.low), np.asarray(other.low))
                and np.array_equal(np.asarray(self.high), np.asarray(other.high))):
            raise ValueError(f"kl between squashed Gaussians with different bounds {(self.low, self.high)} and {(other.low, other.high)}")
        var_ratio_term = (tf.square(self.std) + tf.square(self.mean - other.mean)) / (2.0 * tf.square(other.std))
        return tf.reduce_sum(other.log_std - self.log_std + var_ratio_term - 0.5, axis=-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(np.prod(action_space.shape)) * 2


class Deterministic(TFActionDistribution):
    """A point mass at the inputs. By RLlib's convention ``logp``, ``sampled_action_logp``,
    ``entropy`` and ``kl`` are 0.

    Examples:
        >>> Deterministic(tf.constant([[0.5, -1.0]])).sample().numpy().tolist()
        [[0.5, -1.0]]
    """

    def _zeros(self):
        return tf.zeros(tf.shape(self.inputs)[:-1], dtype=self.inputs.dtype)

    def sample(self):
        self.last_sample = self.inputs
        return self.inputs

    def deterministic_sample(self):
        return self.sample()

    def sampled_action_logp(self):
        return self._zeros()

    def logp(self, x):
        return self._zeros()

    def entropy(self):
        return self._zeros()

    def kl(self, other):
        self._check_same(other)
        return self._zeros()

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(np.prod(action_space.shape))


def _sample_gamma(alpha):
    return tf.random.gamma([], alpha, dtype=alpha.dtype)


class Beta(TFActionDistribution):
    """Beta distribution rescaled to ``[low, high]``; ``alpha, beta = softplus(x) + 1``.

    Examples:
        >>> round(float(Beta(tf.zeros((1, 2)), low=0.0, high=2.0).deterministic_sample()[0, 0]), 4)
        1.0
    """

    def __init__(self, inputs: Any, model: Any = None, low: float = 0.0, high: float = 1.0):
        if not low < high:
            raise ValueError(f"low={low!r} must be < high={high!r}")
        super().__init__(inputs, model)
        self.low, self.high = float(low), float(high)
        x = tf.clip_by_value(self.inputs, math.log(SMALL_NUMBER), -math.log(SMALL_NUMBER))
        params = tf.nn.softplus(x) + 1.0
        self.alpha, self.beta = tf.split(params, 2, axis=-1)
        self._log_range = math.log(self.high - self.low)

    def _squash(self, z):
        return z * (self.high - self.low) + self.low

    def sample(self):
        ga, gb = _sample_gamma(self.alpha), _sample_gamma(self.beta)
        self.last_sample = self._squash(ga / (ga + gb))
        return self.last_sample

    def deterministic_sample(self):
        self.last_sample = self._squash(self.alpha / (self.alpha + self.beta))
        return self.last_sample

    def logp(self, x):
        x = tf.reshape(_as_tensor(x, self.alpha.dtype), tf.shape(self.alpha))
        z = tf.clip_by_value((x - self.low) / (self.high - self.low), SMALL_NUMBER, 1.0 - SMALL_NUMBER)
        lp = (self.alpha - 1.0) * tf.math.log(z) + (self.beta - 1.0) * tf.math.log1p(-z) - _lbeta(self.alpha, self.beta)
        return tf.reduce_sum(lp - self._log_range, axis=-1)

    def entropy(self):
        a, b = self.alpha, self.beta
        dg = tf.math.digamma
        ent = _lbeta(a, b) - (a - 1.0) * dg(a) - (b - 1.0) * dg(b) + (a + b - 2.0) * dg(a + b)
        return tf.reduce_sum(ent + self._log_range, axis=-1)

    def kl(self, other):
        self._check_same(other)
        a1, b1, a2, b2 = self.alpha, self.beta, other.alpha, other.beta
        dg = tf.math.digamma
        kl = _lbeta(a2, b2) - _lbeta(a1, b1) + (a1 - a2) * dg(a1) + (b1 - b2) * dg(b1) + (a2 - a1 + b2 - b1) * dg(a1 + b1)
        return tf.reduce_sum(kl, axis=-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(np.prod(action_space.shape)) * 2


class Dirichlet(TFActionDistribution):
    """Dirichlet over the simplex with concentration ``exp(inputs) + 1e-7``.

    Examples:
        >>> [round(v, 4) for v in Dirichlet(tf.zeros((1, 3))).deterministic_sample()[0].numpy().tolist()]
        [0.3333, 0.3333, 0.3333]
    """

    epsilon = 1e-7

    def __init__(self, inputs: Any, model: Any = None):
        super().__init__(inputs, model)
        self.concentration = tf.exp(self.inputs) + self.epsilon

    def sample(self):
        g = _sample_gamma(self.concentration)
        self.last_sample = g / tf.reduce_sum(g, axis=-1, keepdims=True)
        return self.last_sample

    def deterministic_sample(self):
        self.last_sample = self.concentration / tf.reduce_sum(self.concentration, axis=-1, keepdims=True)
        return self.last_sample

    def logp(self, x):
        x = tf.reshape(_as_tensor(x, self.concentration.dtype), tf.shape(self.concentration))
        x = tf.maximum(x, self.epsilon)
        x = x / tf.reduce_sum(x, axis=-1, keepdims=True)
        a = self.concentration
        lg = tf.math.lgamma
        return tf.reduce_sum((a - 1.0) * tf.math.log(x), axis=-1) + lg(tf.reduce_sum(a, -1)) - tf.reduce_sum(lg(a), -1)

    def entropy(self):
        a = self.concentration
        a0 = tf.reduce_sum(a, axis=-1)
        k = tf.cast(tf.shape(a)[-1], a.dtype)
        log_b = tf.reduce_sum(tf.math.lgamma(a), -1) - tf.math.lgamma(a0)
        return log_b + (a0 - k) * tf.math.digamma(a0) - tf.reduce_sum((a - 1.0) * tf.math.digamma(a), -1)

    def kl(self, other):
        self._check_same(other)
        a, b = self.concentration, other.concentration
        a0, b0 = tf.reduce_sum(a, -1), tf.reduce_sum(b, -1)
        lg, dg = tf.math.lgamma, tf.math.digamma
        return (
            lg(a0)
            - tf.reduce_sum(lg(a), -1)
            - lg(b0)
            + tf.reduce_sum(lg(b), -1)
            + tf.reduce_sum((a - b) * (dg(a) - tf.expand_dims(dg(a0), -1)), -1)
        )

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(np.prod(action_space.shape))


class MultiActionDistribution(TFActionDistribution):
    """A distribution over a Tuple/Dict action space: one child distribution per leaf space
    (same contract as ``TorchMultiActionDistribution``).

    Examples:
        >>> import gymnasium as gym
        >>> space = gym.spaces.Dict({"a": gym.spaces.Discrete(2), "b": gym.spaces.Box(-1, 1, (1,))})
        >>> d = MultiActionDistribution(tf.zeros((1, 4)), child_distributions=[Categorical, DiagGaussian],
        ...     input_lens=[2, 2], action_space=space)
        >>> sorted(d.sample())
        ['a', 'b']
    """

    def __init__(
        self,
        inputs: Any,
        model: Any = None,
        *,
        child_distributions: List[type],
        input_lens: List[int],
        action_space: Any,
    ):
        super().__init__(inputs, model)
        if len(child_distributions) != len(input_lens) or sum(input_lens) != self.inputs.shape[-1]:
            raise ValueError(
                f"input_lens={input_lens!r} must have one width per child ({len(child_distributions)}) and sum to "
                f"the input width {self.inputs.shape[-1]}"
            )
        self.action_space_struct = action_space
        self.leaf_spaces = flatten_space(action_space)
        self.input_lens = list(input_lens)
        parts = tf.split(self.inputs, self.input_lens, axis=-1)
        self.flat_child_distributions = [cls(x, model) for cls, x in zip(child_distributions, parts)]

    def _leaf_actions(self, x):
        if isinstance(x, (tuple, list, dict)):
            return [_as_tensor(v) for v in flatten_struct(self.action_space_struct, x)]
        x = _as_tensor(x)
        x = tf.reshape(x, [tf.shape(x)[0], -1])
        sizes = [flat_action_size(s) for s in self.leaf_spaces]
        parts = tf.split(x, sizes, axis=-1)
        return [p[:, 0] if len(s.shape) == 0 else tf.reshape(p, [-1] + list(s.shape)) for p, s in zip(parts, self.leaf_spaces)]

    def logp(self, x):
        leaves = self._leaf_actions(x)
        return tf.reduce_sum(tf.stack([d.logp(a) for d, a in zip(self.flat_child_distributions, leaves)], axis=-1), axis=-1)

    def multi_entropy(self):
        return tf.stack([d.entropy() for d in self.flat_child_distributions], axis=-1)

    def entropy(self):
        return tf.reduce_sum(self.multi_entropy(), axis=-1)

    def multi_kl(self, other):
        self._check_same(other)
        return tf.stack([d.kl(o) for d, o in zip(self.flat_child_distributions, other.flat_child_distributions)], axis=-1)

    def kl(self, other):
        return tf.reduce_sum(self.multi_kl(other), axis=-1)

    def sample(self):
        self.last_sample = unflatten_struct(self.action_space_struct, [d.sample() for d in self.flat_child_distributions])
        return self.last_sample

    def deterministic_sample(self):
        self.last_sample = unflatten_struct(
            self.action_space_struct, [d.deterministic_sample() for d in self.flat_child_distributions]
        )
        return self.last_sample

    def sampled_action_logp(self):
        return tf.reduce_sum(tf.stack([d.sampled_action_logp() for d in self.flat_child_distributions], axis=-1), axis=-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        from rlcore.models.catalog import ModelCatalog

        return ModelCatalog.get_action_dist(action_space, model_config, framework="tf2")[1]


__all__ = [
    "Beta",
    "Categorical",
    "Deterministic",
    "DiagGaussian",
    "Dirichlet",
    "MultiActionDistribution",
    "MultiCategorical",
    "SquashedGaussian",
    "TFActionDistribution",
]
