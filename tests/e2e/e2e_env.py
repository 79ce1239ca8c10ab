"""Shared pieces of the end-to-end tests: the demo config, the CLI, a real server process.

A module of its own (not ``conftest``): ``from conftest import ...`` resolves to whichever
conftest pytest imported last, which depends on the order of the paths given."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "configs" / "demo-rack.yaml"
SMARTPDU = [sys.executable, "-m", "smartpdu"]
ADMIN_PASSWORD = "e2e-admin-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    data_dir: Path
    port: int
    config: Path = DEMO
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)
    cmd: tuple[str, ...] = tuple(SMARTPDU)
    extra_args: tuple[str, ...] = ()
    scheme: str = "http"
    verify: str | bool = True

    def __post_init__(self) -> None:
        self.log = self.data_dir / "server.log"

    @property
    def admin_password(self) -> str:
        return ADMIN_PASSWORD

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'smartpdu.db'}"

    def start(self, timeout_s: float = 60.0) -> None:
        env = dict(os.environ, SMARTPDU_ADMIN_PASSWORD=ADMIN_PASSWORD)
        cmd = [*SMARTPDU, "run", "--config", str(self.config), "--data-dir", str(self.data_dir)]
        cmd += ["--port", str(self.port), *self.extra_args]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                r = httpx.get(f"{self.url}/api/v1/health", timeout=1.0, verify=self.verify)
                if r.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not answer within {timeout_s} s:\n{self.log.read_text()}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def client(self) -> httpx.Client:
        r = httpx.post(
            f"{self.url}/api/v1/auth/login",
            json={"username": "admin", "password": ADMIN_PASSWORD},
            timeout=10,
            verify=self.verify,
        )
        r.raise_for_status()
        token = r.json()["token"]
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            verify=self.verify,
        )
