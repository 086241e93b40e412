"""Round-trip-safe editing of ``~/.aws/config``.

configparser drops comments and rewrites layout; people keep notes in this file. Edits go
through ``configupdater``, which keeps every byte it is not asked to change, and are written
atomically (temporary file in the same directory, fsync, ``os.replace``) after the old file is
copied to ``<name>.bak``. Sections we add end with one blank line that belongs to them, so
removing one later leaves the surrounding text exactly as it was.

``configupdater`` comes with the ``cli`` extra: only ``configure populate`` and ``doctor --fix``
(and :func:`refreshable_sso.doctor.fix`) edit the file, so importing this module without it
raises a :class:`~refreshable_sso.errors.MissingDependencyError` that says what to install.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from refreshable_sso import _extras
from refreshable_sso.errors import ProfileError

try:
    from configupdater import ConfigUpdater
    from configupdater.block import Space
    from configupdater.section import Section
except ModuleNotFoundError as exc:  # the library's own install leaves it out (the 'cli' extra)
    raise _extras.missing(exc, extra="cli", feature="Editing ~/.aws/config") from exc


def profile_section(name: str) -> str:
    """The section header of a named profile (``default`` has no ``profile`` prefix)."""
    return "default" if name == "default" else f"profile {name}"


def sso_session_section(name: str) -> str:
    return f"sso-session {name}"


class ConfigDocument:
    """One AWS config file held in memory with its exact layout; nothing is written until
    :meth:`write`."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.original = text
        self._doc = ConfigUpdater(allow_no_value=True, strict=False)
        try:
            self._doc.read_string(text, source=str(path))
        except Exception as exc:  # configupdater raises configparser's errors and its own
            raise ProfileError(
                f"{path} cannot be edited: it is not a valid INI file ({exc}). Fix the line it "
                "names (or move the file aside) and run the command again.",
                [f"{path}: not a valid INI file"],
            ) from exc

    @classmethod
    def load(cls, path: Path) -> ConfigDocument:
        """The file at ``path``; an absent file is an empty document."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        except OSError as exc:
            raise ProfileError(
                f"Cannot read {path}: {exc.strerror}", [f"{path}: {exc.strerror}"]
            ) from exc
        return cls(path, text)

    # -- reading ---------------------------------------------------------------------------
    def text(self) -> str:
        return str(self._doc)

    def changed(self) -> bool:
        return self.text() != self.original

    def has_section(self, section: str) -> bool:
        return self._doc.has_section(section)

    def section_values(self, section: str) -> dict[str, str]:
        """Keys and values of one section (``{}`` when absent); valueless keys read as ``""``."""
        if not self._doc.has_section(section):
            return {}
        block = self._doc[section]
        return {key: (block[key].value or "").strip() for key in block}

    def sections(self) -> list[str]:
        return list(self._doc.sections())

    def profile_names(self) -> list[str]:
        """Names of every ``[profile NAME]`` and ``[default]`` section."""
        names: list[str] = []
        for section in self._doc.sections():
            if section == "default":
                names.append("default")
            elif section.startswith("profile "):
                names.append(section[len("profile ") :].strip())
        return names

    # -- editing ---------------------------------------------------------------------------
    def set_section(self, section: str, values: Mapping[str, str]) -> bool:
        """Make ``section`` hold exactly ``values`` (in that order for a new section); keys
        and comments of an existing section stay in place where they still apply. True when
        something changed."""
        if self.section_values(section) == dict(values):
            return False
        if not self._doc.has_section(section):
            self._append_section(section, values)
            return True
        block: Section = self._doc[section]
        for key in [k for k in block if k not in values]:
            del block[key]
        for key, value in values.items():
            if key in block:
                if (block[key].value or "").strip() != value:
                    block[key] = value
                continue
            options = block.option_blocks()
            if options:  # after the last key, before the blank lines that end the section
                options[-1].add_after.option(key, value)
            else:
                block[key] = value
        return True

    def remove_section(self, section: str) -> bool:
        if not self._doc.has_section(section):
            return False
        self._doc.remove_section(section)
        return True

    def _append_section(self, section: str, values: Mapping[str, str]) -> None:
        last = self._doc.last_block
        # Only the last block decides (rendering the whole file per section would be quadratic).
        if last is not None and not (isinstance(last, Space) or str(last).endswith("\n\n")):
            # Keep a blank line between the existing text and ours, outside our section.
            last.add_after.space(1)
        self._doc.add_section(section)
        block = self._doc[section]
        for key, value in values.items():
            block[key] = value
        block.add_after.space(1)

    # -- writing ---------------------------------------------------------------------------
    def diff(self) -> str:
        """A unified diff from the file on disk to the edited text (empty when unchanged)."""
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.text().splitlines(keepends=True),
                fromfile=str(self.path),
                tofile=f"{self.path} (after)",
            )
        )

    def write(self, backup: bool = True) -> Path | None:
        """Replace the file atomically; the previous content goes to ``<file>.bak`` first.
        Returns the backup's path (None when there was no previous file or no backup)."""
        new_text = self.text()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        backup_path: Path | None = None
        if backup and self.path.exists():
            backup_path = self.path.with_name(self.path.name + ".bak")
            shutil.copy2(self.path, backup_path)
        mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o600
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(new_text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self.original = new_text
        return backup_path


__all__ = ["ConfigDocument", "profile_section", "sso_session_section"]
