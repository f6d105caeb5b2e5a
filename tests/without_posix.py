"""Run the `xlflow` command as Windows would import it: the POSIX-only modules cannot be
imported and the POSIX-only functions of `os` and `signal` are gone. No Windows machine
runs the tests, so this guard catches a POSIX-only call before a PMO analyst does.

    python tests/without_posix.py status ug2024      # any xlflow command line
"""

from __future__ import annotations

import importlib.abc
import os
import signal
import sys
import warnings

# Modules Windows' Python does not have.
MODULES = ("fcntl", "pwd", "grp", "termios", "resource", "tty", "pty", "syslog", "posix")
# Functions and constants Windows' os and signal do not have (os.umask exists there, but
# it changes process-wide state, so xlflow must not need it either).
OS_NAMES = ("fork", "forkpty", "register_at_fork", "getuid", "geteuid", "getgid", "getegid",
            "setuid", "setgid", "getpgid", "getpgrp", "setsid", "setpgrp", "killpg", "chown",
            "lchown", "fchown", "fchmod", "umask", "sync", "mkfifo", "mknod", "nice",
            "getloadavg", "pipe2", "statvfs", "fstatvfs", "openpty", "ttyname",
            "O_NOFOLLOW", "O_CLOEXEC", "O_DIRECTORY", "WNOHANG")
SIGNAL_NAMES = ("SIGKILL", "SIGPIPE", "SIGHUP", "SIGALRM", "SIGCHLD", "SIGUSR1", "SIGUSR2",
                "SIGQUIT", "alarm", "pause", "setitimer", "getitimer", "siginterrupt")

PRELOAD = ("subprocess",)


class RefusePosixModules(importlib.abc.MetaPathFinder):
    """A finder placed first on sys.meta_path that refuses MODULES like a missing module."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in MODULES:
            raise ModuleNotFoundError(f"No module named {name!r} (not on Windows)", name=name)
        return None


def install() -> None:
    # The standard library's own POSIX branches (this is Linux after all) read some of
    # these names when imported: import them before the names go.
    for name in PRELOAD:
        __import__(name)
    for name in MODULES:
        sys.modules.pop(name, None)
    sys.meta_path.insert(0, RefusePosixModules())
    for module, names in ((os, OS_NAMES), (signal, SIGNAL_NAMES)):
        for name in names:
            if hasattr(module, name):
                delattr(module, name)
    # Without fcntl, filelock falls back to its soft lock and says so; on Windows it uses
    # msvcrt.locking instead, so the warning is an artefact of this guard.
    warnings.filterwarnings("ignore", message="only soft file lock is available")


if __name__ == "__main__":
    install()
    from xlflow.cli import cli

    cli(prog_name="xlflow")
