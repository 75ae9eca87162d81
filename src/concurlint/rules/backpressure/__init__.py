"""CCY4: backpressure and fan-out -- unbounded queues and unbounded concurrency.

This package only registers the family's rules, in the order of ``RULES``; each module
beside it owns one concept.
"""
from __future__ import annotations

from .queues import UnboundedQueue, UnboundedQueueFedByInput
from .fan_out import UnboundedFanOut

RULES = [UnboundedQueue, UnboundedFanOut, UnboundedQueueFedByInput]
