"""Files the commands write (an export, a chart): whole or not at all, never over the ledger.

A file is written to a temporary file beside its target, then renamed over it. A failure, or
SIGTERM, removes the temporary file: the target is as it was. An output path that is the open
ledger's SQLite database, its access log's (`<ledger>.access-log`), or one of the files SQLite
keeps beside either, is refused before anything is read or written.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import BinaryIO

import click

from reentry_ledger.access_store import SIDECAR_SUFFIX as ACCESS_LOG
from reentry_ledger.backends import SQLITE_SIDECARS, parse_db_url, resolve_db
from reentry_ledger.domain.errors import InvalidInput, LedgerError
from reentry_ledger.encryption import KEY_FILE_ENV_VAR


class Terminated(SystemExit):
    """SIGTERM arrived while a file was being written: exit as a process killed by it would
    report, once the temporary file is gone."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


def ledger_files(db: str | None) -> list[Path]:
    """The files of the ledger `db` names (its SQLite database, and those beside it) and the
    file holding its encryption key, if one does. A client of a server has none here."""
    from reentry_ledger.cli.context import server_url

    if server_url() is not None:
        return []
    backend = parse_db_url(resolve_db(db))
    name = backend.env.get("SQLITE_DBNAME", ":memory:")
    files = [] if backend.kind != "sqlite" or name == ":memory:" else [
        Path(base + suffix) for base in (name, name + ACCESS_LOG) for suffix in SQLITE_SIDECARS
    ]  # fmt: skip
    key_file = os.environ.get(KEY_FILE_ENV_VAR)
    return [*files, Path(key_file)] if key_file else files


def same_file(one: Path, other: Path) -> bool:
    if os.path.realpath(one) == os.path.realpath(other):
        return True
    try:
        return os.path.samefile(one, other)  # a hard link, or another mount of it
    except OSError:  # either does not exist
        return False


def refuse_the_ledger(db: str | None, target: Path, option: str) -> None:
    """Refuse an output path that is the ledger's own database file (or a file beside it)."""
    key_file = os.environ.get(KEY_FILE_ENV_VAR)
    for own in ledger_files(db):
        if same_file(target, own):
            what = (
                "key file" if key_file and own == Path(key_file)
                else "access log file" if ACCESS_LOG in own.name
                else "database file"
            )  # fmt: skip
            raise InvalidInput(
                f"{option} {str(target)!r} is the ledger's own {what} {str(own)!r}: "
                "write it somewhere else (nothing was written)"
            )


def write_whole(
    target: Path, write: Callable[[BinaryIO], None], option: str = "-o", private: bool = True
) -> None:
    """Hand `write` a temporary file beside the target, then rename it over the target: its
    owner's only (`private`: what holds clients' records), else as the umask makes any file."""
    folder = target.resolve().parent
    if not folder.is_dir():
        raise InvalidInput(f"folder {str(folder)!r} does not exist (from {option} {str(target)!r})")
    if target.is_dir():
        raise InvalidInput(f"{option} {str(target)!r} is a folder: give a file's name in it")
    with terminating():
        try:
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.")
        except OSError as error:  # a folder we may not write in, a read-only file system
            raise InvalidInput(
                f"{option} {str(target)!r}: cannot write in its folder ({error.strerror})"
            ) from None
        try:
            if not private:  # mkstemp makes it 0600
                os.fchmod(handle, 0o666 & ~current_umask())
            with os.fdopen(handle, "wb") as stream:
                write(stream)
            os.replace(temporary, target)
        except BaseException as error:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(error, Terminated):
                click.echo(f"Error: stopped by SIGTERM; nothing was written to {target}", err=True)
            if type(error).__module__ == "builtins" and isinstance(error, OSError):  # the disk full
                raise LedgerError(
                    f"{option} {str(target)!r} could not be written ({error.strerror or error}): "
                    "nothing was written"
                ) from error
            raise


def current_umask() -> int:
    mask = os.umask(0o077)  # read by setting it: for a moment, new files are private
    os.umask(mask)
    return mask


@contextmanager
def terminating() -> Iterator[None]:
    """While inside: SIGTERM raises Terminated here rather than ending the process at once
    (which would leave the temporary file behind). The previous handler is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals
        return

    def stop(_signal: int, _frame: FrameType | None) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
