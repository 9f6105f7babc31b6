"""`make run`'s process runner: every Procfile process under supervisord.

honcho stopped the whole platform when one process exited; supervisord (maintained, in the
Python ecosystem we already install from, one INI file, no daemon left behind with ``-n``)
restarts a process that exits unexpectedly and logs it ("exited: ... not expected",
"spawned: ..."), while the others keep serving. A process that keeps failing within
``startsecs`` is retried with a growing delay (1 s, 2 s, 3 s, ...: supervisord's BACKOFF state)
up to ``startretries`` times, then left FATAL rather than spinning. Ctrl-C (SIGINT) or SIGTERM
stops every process (SIGTERM, then SIGKILL after ``stopwaitsecs``) and supervisord exits 0.

Usage: ``python scripts/run_local.py [--procfile Procfile] [--env .env.dev] [--var var]``.
The Procfile and the env file stay the single description of the process set.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STOP_WAIT_SECONDS = 10  # gunicorn's graceful stop (GUNICORN_GRACEFUL_TIMEOUT) fits inside


def read_procfile(path: Path) -> dict[str, str]:
    processes: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.partition(":")
        processes[name.strip()] = command.strip()
    return processes


def read_env(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def program(name: str, command: str, directory: Path) -> str:
    # `exec env VAR=x cmd`: the shell expands $PATH and the like, then becomes the process,
    # so supervisord's signals reach it (and nginx or gunicorn, not a shell, gets SIGTERM).
    shell = f"exec env {command}".replace("%", "%%")
    return f"""
[program:{name}]
command=/bin/sh -c {shlex.quote(shell)}
directory={directory}
autorestart=true
startsecs=3
startretries=8
stopsignal=TERM
stopwaitsecs={STOP_WAIT_SECONDS}
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
"""


def render(processes: dict[str, str], var: Path, directory: Path) -> str:
    head = f"""; Written by scripts/run_local.py from the Procfile: edit the Procfile, not this.
[supervisord]
nodaemon=true
logfile=/dev/stdout
logfile_maxbytes=0
loglevel=info
pidfile={var}/supervisord.pid
childlogdir={var}

[unix_http_server]
file={var}/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{var}/supervisor.sock
"""
    return head + "".join(program(n, c, directory) for n, c in processes.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procfile", type=Path, default=ROOT / "Procfile")
    parser.add_argument("--env", type=Path, default=ROOT / ".env.dev")
    parser.add_argument("--var", type=Path, default=ROOT / "var")
    parser.add_argument("--directory", type=Path, default=ROOT, help="where processes run")
    args = parser.parse_args(argv)
    var = args.var.resolve()
    var.mkdir(parents=True, exist_ok=True)
    config = var / "supervisord.conf"
    processes = read_procfile(args.procfile)
    config.write_text(render(processes, var, args.directory.resolve()))
    # The env file is the environment of every process (honcho's -e); a variable the caller
    # exported wins, so a test or bench can change a setting without editing the file.
    os.environ.update({k: v for k, v in read_env(args.env).items() if k not in os.environ})
    supervisord = shutil.which("supervisord") or str(Path(sys.executable).with_name("supervisord"))
    os.execv(supervisord, [supervisord, "-n", "-c", str(config)])  # noqa: S606 -- no shell needed
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
