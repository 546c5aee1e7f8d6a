"""PyTorch action distributions (RLlib 1.x ``models/torch/torch_action_dist.py``).

Each class wraps the model outputs of one batch and gives ``sample``, ``deterministic_sample``,
``sampled_action_logp``, ``logp``, ``entropy`` and ``kl``, all with shape ``[B]`` per row. The
TensorFlow classes in ``rlcore.models.tf.tf_action_dist`` compute the same formulas, so the same
inputs give the same numbers (tested to 1e-5). Densities are exact: the squashed Gaussian and the
Beta include the Jacobian of their rescaling to ``[low, high]``.

Examples:
    >>> d = TorchCategorical(torch.tensor([[0.0, 0.0]]))
    >>> round(float(d.entropy()[0]), 4), round(float(d.logp(torch.tensor([1]))[0]), 4)
    (0.6931, -0.6931)
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

import numpy as np
import torch

from rlcore.models.action_dist import ActionDistribution, flat_action_size, flatten_space, flatten_struct, squash_bounds, unflatten_struct

#: Bounds of log-std outputs for the squashed Gaussian (RLlib's MIN/MAX_LOG_NN_OUTPUT).
MIN_LOG_NN_OUTPUT = -20.0
MAX_LOG_NN_OUTPUT = 2.0
#: Small constant keeping logs and atanh finite (RLlib's SMALL_NUMBER).
SMALL_NUMBER = 1e-6
#: Quadrature nodes used for the squashed Gaussian's entropy.
GH_NODES = 64
LAGUERRE_NODES = 48
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


_TINY: Dict[torch.dtype, float] = {}


def _tiny(dtype: torch.dtype) -> float:
    """``torch.finfo(dtype).tiny``, looked up once per dtype (it is read on every sample)."""
    tiny = _TINY.get(dtype)
    if tiny is None:
        tiny = _TINY[dtype] = torch.finfo(dtype).tiny
    return tiny


def gumbel_max_sample(logits: torch.Tensor) -> torch.Tensor:
    """One exact categorical draw per row of ``logits`` (``[..., n]``), as indices: what
    :meth:`TorchCategorical.sample` draws (before its ``low`` offset), from the same RNG stream.

    Gumbel-max: argmax(logits + G) with G = -log(E), E ~ Exp(1), is an exact categorical sample,
    ~8x cheaper on CPU than ``torch.distributions.Categorical(...).sample()`` (no argument
    validation, no multinomial). E is kept >= the smallest normal so G is finite and a masked
    (-inf or FLOAT_MIN) logit can never win.

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> gumbel_max_sample(torch.tensor([[0.0, -float("inf"), 0.0], [-float("inf"), 5.0, -float("inf")]]))[1].item()
        1
    """
    e = torch.empty_like(logits).exponential_().clamp_min_(_tiny(logits.dtype))
    return torch.argmax(logits - e.log_(), dim=-1)


def _as_tensor(x: Any, dtype: Optional[torch.dtype] = None) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x if dtype is None else x.to(dtype)
    arr = np.asarray(x)
    if dtype is None and np.issubdtype(arr.dtype, np.floating):
        dtype = torch.float32 if arr.dtype != np.float64 else torch.float64
    return torch.as_tensor(arr, dtype=dtype)


def _log1m_tanh_sq(u: torch.Tensor) -> torch.Tensor:
    """log(1 - tanh(u)^2), computed stably as 2 * (log 2 - u - softplus(-2u))."""
    return 2.0 * (math.log(2.0) - u - torch.nn.functional.softplus(-2.0 * u))


def _expected_log1m_tanh_sq(mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """E[log(1 - tanh(u)^2)] for u ~ N(mean, std), elementwise, to ~1e-10.

    Narrow Gaussians (std < 1): Gauss-Hermite quadrature. Wide ones: log(1 - tanh(u)^2) =
    2 log 2 - 2|u| - 2 log(1 + exp(-2|u|)); E|u| is the folded-normal mean and the last term,
    which decays like exp(-2|u|), is a Gauss-Laguerre integral over |u|.
    """
    dt = mean.dtype
    x, w = np.polynomial.hermite.hermgauss(GH_NODES)
    x, w = torch.as_tensor(x, dtype=dt), torch.as_tensor(w / math.sqrt(math.pi), dtype=dt)
    u = mean.unsqueeze(-1) + math.sqrt(2.0) * std.unsqueeze(-1) * x
    gh = (_log1m_tanh_sq(u) * w).sum(-1)
    t, lw = np.polynomial.laguerre.laggauss(LAGUERRE_NODES)
    lw_log1p = torch.as_tensor(lw * np.exp(t) * np.log1p(np.exp(-t)), dtype=dt)
    half_t = torch.as_tensor(t / 2.0, dtype=dt)
    m, s = mean.unsqueeze(-1), std.unsqueeze(-1)
    pdf = (torch.exp(-0.5 * ((half_t - m) / s) ** 2) + torch.exp(-0.5 * ((half_t + m) / s) ** 2)) / (s * math.sqrt(2 * math.pi))
    e_h = 0.5 * (lw_log1p * pdf).sum(-1)
    e_abs = std * math.sqrt(2.0 / math.pi) * torch.exp(-0.5 * (mean / std) ** 2) + mean * torch.erf(mean / (math.sqrt(2.0) * std))
    lag = 2.0 * math.log(2.0) - 2.0 * e_abs - 2.0 * e_h
    return torch.where(std < 1.0, gh, lag)


class TorchDistributionWrapper(ActionDistribution):
    """Base of the torch distributions: converts inputs to a tensor, remembers the last sample.

    Examples:
        >>> TorchDistributionWrapper(np.zeros((2, 3))).inputs.dtype
        torch.float64
    """

    def __init__(self, inputs: Any, model: Any = None, **kwargs: Any):
        super().__init__(_as_tensor(inputs), model)
        self.last_sample = None

    def sampled_action_logp(self) -> torch.Tensor:
        if self.last_sample is None:
            raise ValueError("sampled_action_logp() needs a sample() or deterministic_sample() first")
        return self.logp(self.last_sample)

    def _check_same(self, other: ActionDistribution) -> None:
        if not isinstance(other, type(self)) and not isinstance(self, type(other)):
            raise TypeError(f"kl: other is a {type(other).__name__}, expected a {type(self).__name__}")


class TorchCategorical(TorchDistributionWrapper):
    """Categorical over ``n`` actions from ``n`` logits (divided by ``temperature``); actions are
    ``low .. low + n - 1`` (``low`` = a gymnasium ``Discrete(n, start)``'s start, usually 0).

    Examples:
        >>> d = TorchCategorical(torch.tensor([[0.0, 2.0]]))
        >>> int(d.deterministic_sample()[0])
        1
    """

    def __init__(self, inputs: Any, model: Any = None, temperature: float = 1.0, low: int = 0):
        if temperature <= 0:
            raise ValueError(f"temperature={temperature!r} must be > 0")
        super().__init__(inputs, model)
        self.temperature = temperature
        self.low = int(low)
        self.logits = self.inputs / temperature if temperature != 1.0 else self.inputs
        self._log_probs = None

    @property
    def log_probs(self) -> torch.Tensor:
        """``log_softmax(logits)``, computed on first use (a sampling step that defers its logp
        never needs it)."""
        if self._log_probs is None:
            self._log_probs = torch.log_softmax(self.logits, dim=-1)
        return self._log_probs

    @log_probs.setter
    def log_probs(self, value: torch.Tensor) -> None:
        self._log_probs = value

    def sample(self):
        return self._set_sample(gumbel_max_sample(self.logits))  # Gumbel-max (see gumbel_max_sample)

    def deterministic_sample(self):
        return self._set_sample(self.logits.argmax(dim=-1))

    def _set_sample(self, index: torch.Tensor) -> torch.Tensor:
        """Keeps the drawn ``index`` (for :meth:`sampled_action_logp`) and returns the action."""
        self.last_sample = index + self.low if self.low else index
        self._sampled = (self.last_sample, index)
        return self.last_sample

    def sampled_action_logp(self) -> torch.Tensor:
        # The drawn index of the last sample, gathered as is (no cast, shift or reshape), unless
        # ``last_sample`` was replaced since, the logits have extra batch dimensions, or a
        # subclass has its own ``logp``.
        sample, index = getattr(self, "_sampled", (None, None))
        if (sample is not self.last_sample or sample is None or index.dim() != 1
                or type(self).logp is not TorchCategorical.logp):
            return super().sampled_action_logp()
        return self.log_probs.gather(-1, index.unsqueeze(-1)).squeeze(-1)

    def logp(self, x):
        x = _as_tensor(x).long()
        if self.low:
            x = x - self.low
        return self.log_probs.gather(-1, x.reshape(-1, 1)).squeeze(-1)

    def entropy(self):
        return -(self.log_probs.exp() * self.log_probs).sum(-1)

    def kl(self, other):
        self._check_same(other)
        return (self.log_probs.exp() * (self.log_probs - other.log_probs)).sum(-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(action_space.n)


class TorchMultiCategorical(TorchDistributionWrapper):
    """Independent categoricals, one per component (MultiDiscrete): inputs are concatenated
    logits of widths ``input_lens``; actions are ``[B, len(input_lens)]``, shifted by ``low``
    (for integer Box spaces whose lower bound is not 0).

    Examples:
        >>> d = TorchMultiCategorical(torch.zeros(1, 5), input_lens=[2, 3])
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
        self.low = torch.as_tensor(np.broadcast_to(np.asarray(low, np.int64), (len(self.input_lens),)).copy())
        self.cats = [TorchCategorical(x, model) for x in torch.split(self.inputs, self.input_lens, dim=-1)]

    def sample(self):
        self.last_sample = torch.stack([c.sample() for c in self.cats], dim=-1) + self.low
        return self.last_sample

    def deterministic_sample(self):
        self.last_sample = torch.stack([c.deterministic_sample() for c in self.cats], dim=-1) + self.low
        return self.last_sample

    def logp(self, x):
        x = _as_tensor(x).reshape(-1, len(self.cats)) - self.low
        return torch.stack([c.logp(x[:, i]) for i, c in enumerate(self.cats)], dim=-1).sum(-1)

    def multi_entropy(self):
        return torch.stack([c.entropy() for c in self.cats], dim=-1)

    def entropy(self):
        return self.multi_entropy().sum(-1)

    def multi_kl(self, other):
        self._check_same(other)
        return torch.stack([c.kl(o) for c, o in zip(self.cats, other.cats)], dim=-1)

    def kl(self, other):
        return self.multi_kl(other).sum(-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(np.sum(action_space.nvec))


class _NormalAttribute:
    """RLlib 1.x's ``dist`` attribute (the ``torch.distributions.Normal`` of ``mean`` and ``std``),
    built when first read: the methods here do not use it, and building it (with torch's argument
    checks) on every action call and loss pass cost more than the rest of the constructor."""

    @property
    def dist(self) -> Any:
        d = self.__dict__.get("_dist")
        if d is None:
            d = self.__dict__["_dist"] = torch.distributions.Normal(self.mean, self.std)
        return d


class TorchDiagGaussian(_NormalAttribute, TorchDistributionWrapper):
    """Gaussian with diagonal covariance; inputs are ``mean || log_std`` (``2 * dim`` wide).

    Examples:
        >>> d = TorchDiagGaussian(torch.zeros(1, 2))
        >>> round(float(d.logp(torch.zeros(1, 1))[0]), 4)
        -0.9189
    """

    def __init__(self, inputs: Any, model: Any = None):
        super().__init__(inputs, model)
        self.mean, self.log_std = torch.chunk(self.inputs, 2, dim=-1)
        self.std = torch.exp(self.log_std)

    def sample(self):
        self.last_sample = self.mean + self.std * torch.randn_like(self.mean)
        return self.last_sample

    def deterministic_sample(self):
        self.last_sample = self.mean
        return self.last_sample

    def logp(self, x):
        x = _as_tensor(x, self.mean.dtype).reshape(self.mean.shape)
        z = (x - self.mean) / self.std
        return (-0.5 * z * z - self.log_std - _HALF_LOG_2PI).sum(-1)

    def entropy(self):
        return (self.log_std + 0.5 + _HALF_LOG_2PI).sum(-1)

    def kl(self, other):
        self._check_same(other)
        var_ratio_term = (self.std**2 + (self.mean - other.mean) ** 2) / (2.0 * other.std**2)
        return (other.log_std - self.log_std + var_ratio_term - 0.5).sum(-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(np.prod(action_space.shape)) * 2


class TorchSquashedGaussian(_NormalAttribute, TorchDistributionWrapper):
    """A Gaussian squashed by tanh and rescaled to ``[low, high]`` (SAC's distribution).

    ``y = low + (tanh(u) + 1) / 2 * (high - low)`` with ``u ~ N(mean, exp(log_std))`` and
    ``log_std`` clipped to ``[-20, 2]``. ``low`` and ``high`` are scalars or per-dimension
    arrays (a Box's bounds). ``logp`` is the exact density of ``y``; ``entropy`` is
    exact up to a quadrature of ``E[log(1 - tanh(u)^2)]`` (error ~1e-10); ``kl`` equals
    the Gaussian KL (KL is invariant under the shared bijection).

    Examples:
        >>> d = TorchSquashedGaussian(torch.tensor([[0.0, 0.0]]), low=-2.0, high=2.0)
        >>> float(d.deterministic_sample()[0, 0])
        0.0
    """

    def __init__(self, inputs: Any, model: Any = None, low: Any = -1.0, high: Any = 1.0):
        low, high = squash_bounds(low, high)
        super().__init__(inputs, model)
        mean, log_std = torch.chunk(self.inputs, 2, dim=-1)
        if np.ndim(low) == 0:
            self.low, self.high = float(low), float(high)
            self._log_half_range = math.log((self.high - self.low) / 2.0)
        else:  # per-dimension bounds (a Box's low/high arrays)
            self.low = torch.as_tensor(low, dtype=mean.dtype)
            self.high = torch.as_tensor(high, dtype=mean.dtype)
            self._log_half_range = torch.log((self.high - self.low) / 2.0)
        self.mean = mean
        self.log_std = torch.clamp(log_std, MIN_LOG_NN_OUTPUT, MAX_LOG_NN_OUTPUT)
        self.std = torch.exp(self.log_std)
        self._last_u = None

    def _squash(self, u):
        return (torch.tanh(u) + 1.0) / 2.0 * (self.high - self.low) + self.low

    def _unsquash(self, y):
        z = (y - self.low) / (self.high - self.low) * 2.0 - 1.0
        z = torch.clamp(z, -1.0 + SMALL_NUMBER, 1.0 - SMALL_NUMBER)
        return torch.atanh(z)

    def _logp_u(self, u):
        z = (u - self.mean) / self.std
        gauss = -0.5 * z * z - self.log_std - _HALF_LOG_2PI
        return (gauss - _log1m_tanh_sq(u) - self._log_half_range).sum(-1)

    def sample(self):
        self._last_u = self.mean + self.std * torch.randn_like(self.mean)
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
        x = _as_tensor(x, self.mean.dtype).reshape(self.mean.shape)
        return self._logp_u(self._unsquash(x))

    def entropy(self):
        expected_log_jac = _expected_log1m_tanh_sq(self.mean, self.std)
        gauss_entropy = self.log_std + 0.5 + _HALF_LOG_2PI
        return (gauss_entropy + expected_log_jac + self._log_half_range).sum(-1)

    def kl(self, other):
        self._check_same(other)
        if not (np.array_equal(np.asarray(self.low), np.asarray(other.low))
                and np.array_equal(np.asarray(self.high), np.asarray(other.high))):
            raise ValueError(f"kl between squashed Gaussians with different bounds {(self.low, self.high)} and {(other.low, other.high)}")
        var_ratio_term = (self.std**2 + (self.mean - other.mean) ** 2) / (2.0 * other.std**2)
        return (other.log_std - self.log_std + var_ratio_term - 0.5).sum(-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(np.prod(action_space.shape)) * 2


class TorchDeterministic(TorchDistributionWrapper):
    """A point mass at the inputs (DDPG/TD3 actions). By RLlib's convention ``logp`` and
    ``sampled_action_logp`` are 0, and so are ``entropy`` and ``kl``.

    Examples:
        >>> d = TorchDeterministic(torch.tensor([[0.5, -1.0]]))
        >>> d.sample().tolist(), float(d.sampled_action_logp()[0])
        ([[0.5, -1.0]], 0.0)
    """

    def _zeros(self):
        return torch.zeros(self.inputs.shape[:-1], dtype=self.inputs.dtype)

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


def _lbeta(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b)


class TorchBeta(TorchDistributionWrapper):
    """Beta distribution rescaled to ``[low, high]``; inputs are ``2 * dim`` numbers mapped to
    ``alpha, beta = softplus(x) + 1`` (unimodal, as RLlib). ``deterministic_sample`` is the mean.

    Examples:
        >>> d = TorchBeta(torch.zeros(1, 2), low=0.0, high=2.0)
        >>> round(float(d.deterministic_sample()[0, 0]), 4)
        1.0
    """

    def __init__(self, inputs: Any, model: Any = None, low: float = 0.0, high: float = 1.0):
        if not low < high:
            raise ValueError(f"low={low!r} must be < high={high!r}")
        super().__init__(inputs, model)
        self.low, self.high = float(low), float(high)
        x = torch.clamp(self.inputs, math.log(SMALL_NUMBER), -math.log(SMALL_NUMBER))
        params = torch.nn.functional.softplus(x) + 1.0
        self.alpha, self.beta = torch.chunk(params, 2, dim=-1)
        self.dist = torch.distributions.Beta(self.alpha, self.beta)
        self._log_range = math.log(self.high - self.low)

    def _squash(self, z):
        return z * (self.high - self.low) + self.low

    def sample(self):
        self.last_sample = self._squash(self.dist.sample())
        return self.last_sample

    def deterministic_sample(self):
        self.last_sample = self._squash(self.alpha / (self.alpha + self.beta))
        return self.last_sample

    def logp(self, x):
        x = _as_tensor(x, self.alpha.dtype).reshape(self.alpha.shape)
        z = torch.clamp((x - self.low) / (self.high - self.low), SMALL_NUMBER, 1.0 - SMALL_NUMBER)
        lp = (self.alpha - 1.0) * torch.log(z) + (self.beta - 1.0) * torch.log1p(-z) - _lbeta(self.alpha, self.beta)
        return (lp - self._log_range).sum(-1)

    def entropy(self):
        a, b = self.alpha, self.beta
        ent = _lbeta(a, b) - (a - 1.0) * torch.digamma(a) - (b - 1.0) * torch.digamma(b) + (a + b - 2.0) * torch.digamma(a + b)
        return (ent + self._log_range).sum(-1)

    def kl(self, other):
        self._check_same(other)
        a1, b1, a2, b2 = self.alpha, self.beta, other.alpha, other.beta
        kl = (
            _lbeta(a2, b2)
            - _lbeta(a1, b1)
            + (a1 - a2) * torch.digamma(a1)
            + (b1 - b2) * torch.digamma(b1)
            + (a2 - a1 + b2 - b1) * torch.digamma(a1 + b1)
        )
        return kl.sum(-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(np.prod(action_space.shape)) * 2


class TorchDirichlet(TorchDistributionWrapper):
    """Dirichlet over the simplex with concentration ``exp(inputs) + 1e-7``; ``logp`` first
    renormalises ``x`` onto the simplex (as RLlib). ``deterministic_sample`` is the mean.

    Examples:
        >>> d = TorchDirichlet(torch.zeros(1, 3))
        >>> [round(v, 4) for v in d.deterministic_sample()[0].tolist()]
        [0.3333, 0.3333, 0.3333]
    """

    epsilon = 1e-7

    def __init__(self, inputs: Any, model: Any = None):
        super().__init__(inputs, model)
        self.concentration = torch.exp(self.inputs) + self.epsilon
        self.dist = torch.distributions.Dirichlet(self.concentration)

    def sample(self):
        self.last_sample = self.dist.sample()
        return self.last_sample

    def deterministic_sample(self):
        self.last_sample = self.concentration / self.concentration.sum(-1, keepdim=True)
        return self.last_sample

    def logp(self, x):
        x = _as_tensor(x, self.concentration.dtype).reshape(self.concentration.shape)
        x = torch.clamp(x, min=self.epsilon)
        x = x / x.sum(-1, keepdim=True)
        a = self.concentration
        return ((a - 1.0) * torch.log(x)).sum(-1) + torch.lgamma(a.sum(-1)) - torch.lgamma(a).sum(-1)

    def entropy(self):
        a = self.concentration
        a0 = a.sum(-1)
        k = a.shape[-1]
        log_b = torch.lgamma(a).sum(-1) - torch.lgamma(a0)
        return log_b + (a0 - k) * torch.digamma(a0) - ((a - 1.0) * torch.digamma(a)).sum(-1)

    def kl(self, other):
        self._check_same(other)
        a, b = self.concentration, other.concentration
        a0, b0 = a.sum(-1), b.sum(-1)
        return (
            torch.lgamma(a0)
            - torch.lgamma(a).sum(-1)
            - torch.lgamma(b0)
            + torch.lgamma(b).sum(-1)
            + ((a - b) * (torch.digamma(a) - torch.digamma(a0).unsqueeze(-1))).sum(-1)
        )

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return int(np.prod(action_space.shape))


class TorchMultiActionDistribution(TorchDistributionWrapper):
    """A distribution over a Tuple/Dict action space: one child distribution per leaf space.

    Inputs are the children's inputs side by side (widths ``input_lens``). ``sample`` returns
    the action structure (tuples/dicts of tensors); ``logp`` takes that structure or a flat
    ``[B, sum of leaf action widths]`` tensor. ``logp``, ``entropy`` and ``kl`` sum over children.

    Examples:
        >>> import gymnasium as gym
        >>> space = gym.spaces.Tuple([gym.spaces.Discrete(2), gym.spaces.Box(-1, 1, (1,))])
        >>> d = TorchMultiActionDistribution(torch.zeros(1, 4), child_distributions=[TorchCategorical,
        ...     TorchDiagGaussian], input_lens=[2, 2], action_space=space)
        >>> a = d.sample(); type(a).__name__, len(a)
        ('tuple', 2)
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
        parts = torch.split(self.inputs, self.input_lens, dim=-1)
        self.flat_child_distributions = [cls(x, model) for cls, x in zip(child_distributions, parts)]

    def _leaf_actions(self, x) -> List[torch.Tensor]:
        if isinstance(x, (tuple, list, dict)):
            leaves = flatten_struct(self.action_space_struct, x)
            return [_as_tensor(v) for v in leaves]
        x = _as_tensor(x)
        sizes = [flat_action_size(s) for s in self.leaf_spaces]
        parts = torch.split(x.reshape(x.shape[0], -1), sizes, dim=-1)
        return [p.squeeze(-1) if len(s.shape) == 0 else p.reshape((p.shape[0],) + tuple(s.shape)) for p, s in zip(parts, self.leaf_spaces)]

    def logp(self, x):
        leaves = self._leaf_actions(x)
        return torch.stack([d.logp(a) for d, a in zip(self.flat_child_distributions, leaves)], dim=-1).sum(-1)

    def multi_entropy(self):
        return torch.stack([d.entropy() for d in self.flat_child_distributions], dim=-1)

    def entropy(self):
        return self.multi_entropy().sum(-1)

    def multi_kl(self, other):
        self._check_same(other)
        return torch.stack([d.kl(o) for d, o in zip(self.flat_child_distributions, other.flat_child_distributions)], dim=-1)

    def kl(self, other):
        return self.multi_kl(other).sum(-1)

    def sample(self):
        self.last_sample = unflatten_struct(self.action_space_struct, [d.sample() for d in self.flat_child_distributions])
        return self.last_sample

    def deterministic_sample(self):
        self.last_sample = unflatten_struct(
            self.action_space_struct, [d.deterministic_sample() for d in self.flat_child_distributions]
        )
        return self.last_sample

    def sampled_action_logp(self):
        return torch.stack([d.sampled_action_logp() for d in self.flat_child_distributions], dim=-1).sum(-1)

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        from rlcore.models.catalog import ModelCatalog

        return ModelCatalog.get_action_dist(action_space, model_config, framework="torch")[1]


__all__ = [
    "TorchBeta",
    "TorchCategorical",
    "TorchDeterministic",
    "TorchDiagGaussian",
    "TorchDirichlet",
    "TorchDistributionWrapper",
    "TorchMultiActionDistribution",
    "TorchMultiCategorical",
    "TorchSquashedGaussian",
    "gumbel_max_sample",
]
