"""Finding HAProxy and nginx on this machine, and their versions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

BALANCERS = ("haproxy", "nginx")
PRINTABLE = ("haproxy", "nginx", "envoy")  # --print-config also writes Envoy's (not run here)
SYSTEM_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")  # a non-root PATH often lacks them
INSTALL = {
    "haproxy": "apt-get install haproxy (Debian/Ubuntu) or brew install haproxy (macOS)",
    "nginx": "apt-get install nginx (Debian/Ubuntu) or brew install nginx (macOS)",
}


class BalancerMissing(RuntimeError):
    """The balancer's program is not installed; the message names the package to install."""


def find(name: str) -> str | None:
    """The path of `name` on PATH or in the system sbin dirs, or None."""
    found = shutil.which(name)
    if found:
        return found
    for d in SYSTEM_DIRS:
        path = os.path.join(d, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def require(name: str) -> str:
    path = find(name)
    if path is None:
        raise BalancerMissing(f"{name} is not installed: {INSTALL[name]}")
    return path


def version(name: str, path: str | None = None) -> str:
    """'2.6.12' for HAProxy, '1.22.1' for nginx (the first x.y.z the program prints)."""
    path = path or require(name)
    out = subprocess.run([path, "-v"], capture_output=True, text=True, timeout=10)
    text = out.stdout + out.stderr
    match = re.search(r"(\d+\.\d+\.\d+)", text)
    return match.group(1) if match else "unknown"
