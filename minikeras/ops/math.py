"""Math ops (`keras.ops.math`): logsumexp, erf and friends."""

__all__ = []
