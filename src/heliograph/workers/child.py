"""What every child of the supervisor does first: its own process group (Ctrl-C at the
terminal reaches the supervisor only, which stops the children in order), death with the
supervisor (Linux's parent-death signal: killed outright, the supervisor leaves no child
holding the port or the store), and the server's log format."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def become_child(supervisor_pid: int) -> None:
    os.setpgrp()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the supervisor's own stop still applies
        pass
    if os.getppid() != supervisor_pid:  # it died before the signal was asked for
        sys.exit("the supervisor is gone")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
