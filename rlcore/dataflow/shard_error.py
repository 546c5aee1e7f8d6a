"""``ShardError``: a shard of a parallel iterator failed; names the shard, the stage and the cause.

A shard fails when its generator or one of its operators raises, or when its actor dies. The
failing stage is recorded on the exception where it is raised (:func:`annotate_stage`), so the
error says *which* operator broke, and the original traceback (local, or the remote one Ray
carries) is kept in the message and as ``__cause__``.

After a ``ShardError`` the gathering iterator has dropped that shard: a consumer may catch it and
keep calling ``next()`` to go on with the remaining shards.

Examples:
    >>> try:
    ...     1 / 0
    ... except ZeroDivisionError as err:
    ...     annotate_stage(err, "for_each(inverse)")
    ...     e = ShardError.from_exception(1, "from_range[4, shards=2].gather_sync()", err)
    >>> e.shard_index, e.stage
    (1, 'for_each(inverse)')
    >>> str(e).splitlines()[0]
    "shard 1 of from_range[4, shards=2].gather_sync() failed in stage 'for_each(inverse)': ZeroDivisionError: division by zero"
"""

from __future__ import annotations

import traceback

_STAGE_ATTR = "_rlcore_stage"


def annotate_stage(err: BaseException, stage: str) -> None:
    """Records ``stage`` on ``err`` unless an inner stage already did (the innermost wins).

    Examples:
        >>> e = ValueError("x"); annotate_stage(e, "a"); annotate_stage(e, "b"); stage_of(e)
        'a'
    """
    if getattr(err, _STAGE_ATTR, None) is None:
        try:
            setattr(err, _STAGE_ATTR, stage)
            err.add_note(f"(raised in dataflow stage '{stage}')")
        except (AttributeError, TypeError):  # exotic exception types without a __dict__
            pass


def stage_of(err: BaseException) -> str | None:
    """Returns the stage recorded on ``err``, looking through Ray's wrapped ``cause``.

    Examples:
        >>> stage_of(ValueError()) is None
        True
    """
    stage = getattr(err, _STAGE_ATTR, None)
    if stage is None:
        cause = getattr(err, "cause", None)  # ray.exceptions.RayTaskError keeps the original
        if isinstance(cause, BaseException):
            stage = getattr(cause, _STAGE_ATTR, None)
    return stage


class ShardError(RuntimeError):
    """A shard failed or died. ``shard_index``, ``stage`` and ``pipeline`` say where.

    Attributes:
        shard_index: Index of the shard in its parallel iterator (``None`` if unknown).
        stage: The stage that raised, or the gathering stage when the actor died.
        pipeline: The repr of the gathering pipeline.
        original: The exception raised (for Ray, the ``RayTaskError``/``RayActorError``).
        original_traceback: The formatted original traceback (remote one included for Ray).

    Examples:
        >>> import pickle
        >>> e = pickle.loads(pickle.dumps(ShardError(0, "gather_async()", "p", "actor died", None, "tb")))
        >>> e.shard_index, e.stage, e.detail, e.original_traceback
        (0, 'gather_async()', 'actor died', 'tb')
    """

    def __init__(
        self,
        shard_index: int | None,
        stage: str,
        pipeline: str,
        detail: str,
        original: BaseException | None = None,
        original_traceback: str = "",
    ):
        self.shard_index = shard_index
        self.stage = stage
        self.pipeline = pipeline
        self.original = original
        self.original_traceback = original_traceback
        self.detail = detail
        message = f"shard {shard_index} of {pipeline} failed in stage '{stage}': {detail}"
        if original_traceback:
            message += "\n\nOriginal traceback:\n" + original_traceback
        super().__init__(message)

    def __reduce__(self):
        # The original exception may not pickle; its formatted traceback always does.
        return (
            ShardError,
            (self.shard_index, self.stage, self.pipeline, self.detail, None, self.original_traceback),
        )

    @classmethod
    def from_exception(
        cls, shard_index: int | None, pipeline: str, err: BaseException, default_stage: str = ""
    ) -> ShardError:
        """Builds the error for ``err`` raised by shard ``shard_index`` of ``pipeline``."""
        stage = stage_of(err) or default_stage or pipeline
        cause = getattr(err, "cause", None)
        shown = cause if isinstance(cause, BaseException) else err
        detail = f"{type(shown).__name__}: {shown}".splitlines()[0]
        error = cls(
            shard_index,
            stage,
            pipeline,
            detail,
            original=err,
            original_traceback="".join(traceback.format_exception(err)),
        )
        error.__cause__ = err
        return error
