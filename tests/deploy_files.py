"""Reading what deploy/ ships, so the tests run it as a machine would: the units' commands and
the environment file."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from workflow import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = DEPLOY / "systemd"
ENV_FILE = DEPLOY / "antragsweg.env"
APP_ROOT = "/srv/antragsweg"  # where the units expect the checkout


def unit_files() -> list[Path]:
    """Every unit in deploy/systemd/, whoever added it."""
    return sorted(p for p in UNITS.iterdir() if p.suffix in (".service", ".timer", ".socket", ".path"))


def read_unit(path: Path) -> configparser.ConfigParser:
    # strict=False: systemd allows a key more than once (the last wins for most; lists add up).
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys keep their case
    parser.read_string(path.read_text())
    return parser


def exec_start(unit: str, root: Path | str = PROJECT_ROOT) -> list[str]:
    """The unit's ExecStart as an argument list, with the checkout at `root` instead of
    /srv/antragsweg."""
    command = read_unit(UNITS / unit)["Service"]["ExecStart"].lstrip("-@:+!")
    return [
        part.replace(APP_ROOT, str(root), 1) if part.startswith(APP_ROOT) else part
        for part in shlex.split(command)
    ]


def env_file_settings(path: Path = ENV_FILE) -> dict[str, str]:
    """KEY=value lines of an environment file as systemd reads them (quotes around a value go)."""
    settings = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            settings[key.strip()] = value
    return settings


def stub_programs(root: Path, units: list[Path]) -> None:
    """Every program the units' Exec* lines name, under `root` (for `systemd-analyze verify
    --root`): the app's in /srv/antragsweg/.venv/bin as stand-ins, the system's only if this
    machine has them."""
    for unit in units:
        parsed = read_unit(unit)
        for key, value in parsed["Service"].items() if parsed.has_section("Service") else []:
            if not key.startswith("Exec"):
                continue
            program = value.lstrip("-@:+!").split()[0]
            if not program.startswith(APP_ROOT + "/"):
                assert Path(program).exists(), f"{unit.name}: {program} is not on this machine"
            target = root / program.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("#!/bin/sh\n")
            target.chmod(0o755)
