"""``python -m deploy.child <launcher pid> <command…>``: run a command of the launcher that dies
with the launcher, however the launcher dies (issue 8 item 7).

The launcher starts each process in a session of its own, so that a Ctrl-C in the terminal reaches
only the launcher, which then stops the processes in order. Without more, a launcher killed with
SIGKILL (or with its process group) left them all running. Here, before the command replaces
this process (``exec``): the kernel is asked to send SIGTERM when the parent dies (Linux
``PR_SET_PDEATHSIG``, kept across exec), and SIGINT goes back to its default, since a launcher
started in the background by a shell inherits it ignored. This runs in a fresh interpreter, not
in a ``preexec_fn``, which is unsafe in a process with threads such as the launcher.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main() -> None:
    parent, command = int(sys.argv[1]), sys.argv[2:]
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the launcher died before the request took effect
        sys.exit(1)
    os.execvp(command[0], command)  # noqa: S606 - the launcher's own command, no shell


if __name__ == "__main__":
    main()
