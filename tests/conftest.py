"""Shared fixtures: real SQLite and PostgreSQL, a real sandbox server, real crawls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("CERTWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def certwatch(*args: str, home: Path, env: dict[str, str] | None = None, timeout: float = 600,
              check: bool = True, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a child process, as a user would."""
    full_env = {**os.environ, "CERTWATCH_HOME": str(home)}
    full_env.pop("CERTWATCH_DB_URL", None)  # each test picks its database explicitly
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "certwatch.cli", *args], cwd=REPO,
                          env=full_env, capture_output=True, text=True, timeout=timeout,
                          input=stdin)
    if check and proc.returncode != 0:
        raise AssertionError(f"certwatch {' '.join(args)} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return proc


def listings_jsonl(home: Path, *args: str, env: dict[str, str] | None = None) -> list[dict]:
    out = certwatch("listings", "--format", "jsonl", *args, home=home, env=env).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database; skipped (or failed, under CI) when the server is away."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"certwatch_test_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
