"""The documentation covers what it promises: every public name, every error class, every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import refreshable_sso
from refreshable_sso import errors

pytestmark = pytest.mark.repo  # checks the repository, not the library: run once

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _reference_targets() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.md"))
    return set(re.findall(r"^::: (\S+)$", text, flags=re.MULTILINE))


def test_every_public_name_is_in_the_api_reference() -> None:
    # the package __init__ is lazy, so entries name the defining module: check that one
    expected = {
        f"{getattr(refreshable_sso, name).__module__}.{name}"
        for name in refreshable_sso.__all__
        if not name.startswith("_")
    }
    targets = _reference_targets()
    missing = sorted(expected - targets)
    assert not missing, f"add to docs/reference/: {missing}"
    stale = sorted(t for t in targets if t.rsplit(".", 1)[1] not in refreshable_sso.__all__)
    assert not stale, f"not public any more: {stale}"


def test_every_error_class_has_cause_and_fix_in_troubleshooting() -> None:
    text = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    public_errors = [n for n in errors.__all__ if n in refreshable_sso.__all__]
    for name in public_errors:
        section = text.split(f"### {name}\n", 1)
        assert len(section) == 2, f"troubleshooting.md has no section for {name}"
        body = section[1].split("\n### ", 1)[0]
        if name != "RefreshableSSOError":
            assert "**Cause:**" in body, name
            assert "**Fix:**" in body, name
    for topic in ("sso-session", "--no-browser --use-device-code", "Clock skew"):
        assert topic in text


def _public_error_classes() -> dict[str, type[BaseException]]:
    """Every public exception class of refreshable_sso.errors (found by looking, not by its
    __all__) and every exception class the package itself exports."""
    found = {
        name: value
        for name, value in vars(errors).items()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__ == errors.__name__
        and not name.startswith("_")
    }
    for name in refreshable_sso.__all__:
        value = getattr(refreshable_sso, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            found[name] = value
    return found


def test_every_public_error_class_is_on_the_troubleshooting_page() -> None:
    text = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    classes = _public_error_classes()
    assert {"RefreshableSSOError", "LoginRequiredError", "TokenChainError"} <= set(classes)
    missing = sorted(name for name in classes if f"\n### {name}\n" not in text)
    assert not missing, f"add a '### NAME' section (cause and fix) to troubleshooting.md: {missing}"
    for name, cls in classes.items():
        body = text.split(f"\n### {name}\n", 1)[1].split("\n#", 1)[0]
        if cls is not errors.RefreshableSSOError:
            assert "**Cause:**" in body, name
            assert "**Fix:**" in body, name


def test_every_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    missing = [p for p in pages if p not in nav]
    assert not missing, f"add to mkdocs.yml nav: {missing}"


def test_the_license_is_the_full_apache_text() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert len(text) > 10_000


def test_readme_links_are_absolute() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]+)\)", readme)
    assert links
    assert all(link.startswith("https://") for link in links), links
