"""CCY5: timeouts -- network calls, sessions, subprocesses and waits that can hang forever.

This package only registers the family's rules, in the order of ``RULES``; each module
beside it owns one concept.
"""
from __future__ import annotations

from .network import NetworkCallWithoutTimeout
from .sessions import ClientSessionWithoutTimeout
from .subprocesses import SubprocessWithoutTimeout
from .waits import WaitWithoutTimeout

RULES = [NetworkCallWithoutTimeout, ClientSessionWithoutTimeout, SubprocessWithoutTimeout,
         WaitWithoutTimeout]
