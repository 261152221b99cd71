"""Errors of the local broker."""

from footfall.errors import FootfallError

__all__ = ["BrokerError"]


class BrokerError(FootfallError):
    """The local Kafka broker could not be fetched, formatted or started."""
