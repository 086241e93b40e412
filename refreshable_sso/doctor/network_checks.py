"""Checks that need the network: each endpoint reachable (and how fast), and clock skew
against the ``Date`` header the SSO portal answers with."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from refreshable_sso import _clock
from refreshable_sso.config import FEDERATION_ENDPOINT_ENV
from refreshable_sso.doctor.context import DoctorContext
from refreshable_sso.doctor.model import Finding, fail, ok, warn

TIMEOUT = 5.0
# IAM Identity Center role credentials live at least an hour: a clock further off than that
# sees every fresh credential as already expired (or not yet valid) and refreshes in a loop.
CREDENTIALS_LIFETIME = 3600.0
# SigV4 and most AWS services refuse requests whose time is this far off.
SKEW_WARN = 300.0


@dataclass(frozen=True)
class Probe:
    name: str
    url: str
    reached: bool
    latency_ms: float
    date: str | None
    problem: str | None


def endpoints(ctx: DoctorContext) -> dict[str, str]:
    """Where the profile's SSO portal, SSO-OIDC and STS calls go (AWS_ENDPOINT_URL_* first)."""
    target = ctx.sso_target()
    region = (target.sso_region if target else None) or "us-east-1"
    sts_region = str(ctx.section().get("region", "")).strip() or region
    env = ctx.environ
    common = env.get("AWS_ENDPOINT_URL")
    return {
        "sso": env.get("AWS_ENDPOINT_URL_SSO")
        or common
        or f"https://portal.sso.{region}.amazonaws.com",
        "sso-oidc": env.get("AWS_ENDPOINT_URL_SSO_OIDC")
        or common
        or f"https://oidc.{region}.amazonaws.com",
        "sts": env.get("AWS_ENDPOINT_URL_STS")
        or common
        or f"https://sts.{sts_region}.amazonaws.com",
    }


def probe(name: str, url: str, timeout: float = TIMEOUT) -> Probe:
    """One GET of the endpoint's root: any HTTP answer means reachable."""
    started = time.perf_counter()
    request = urllib.request.Request(url.rstrip("/") + "/", method="GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            date = response.headers.get("Date")
    except urllib.error.HTTPError as exc:
        date = exc.headers.get("Date") if exc.headers else None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Probe(name, url, False, (time.perf_counter() - started) * 1000, None, str(reason))
    return Probe(name, url, True, (time.perf_counter() - started) * 1000, date, None)


def reachability(ctx: DoctorContext) -> tuple[list[Finding], list[Probe]]:
    probes = [probe(name, url) for name, url in endpoints(ctx).items()]
    findings: list[Finding] = []
    for p in probes:
        if p.reached:
            findings.append(ok("endpoint", f"{p.name} reachable in {p.latency_ms:.0f} ms", p.url))
        else:
            variable = "AWS_ENDPOINT_URL_" + p.name.upper().replace("-", "_")
            findings.append(
                fail(
                    "endpoint",
                    f"{p.name} unreachable: {p.problem}",
                    p.url,
                    fix=f"check the network / proxy (HTTPS_PROXY), or {variable} if it is set",
                )
            )
    federation = ctx.environ.get(FEDERATION_ENDPOINT_ENV)
    if federation:
        findings.append(ok("endpoint", "console federation endpoint overridden", federation))
    return findings, probes


def clock_skew(probes: list[Probe]) -> Finding | None:
    dated = next((p for p in probes if p.date), None)
    if dated is None or dated.date is None:
        return None
    try:
        server = parsedate_to_datetime(dated.date).timestamp()
    except (TypeError, ValueError):
        return warn("clock", f"{dated.name} sent an unreadable Date header", dated.date)
    skew = server - _clock.wall()
    evidence = (f"{dated.name} Date: {dated.date}", f"local clock is {-skew:+.0f} s off the server")
    fix = "sync the clock: timedatectl set-ntp true   (or ntpdate / chronyc makestep)"
    if abs(skew) > CREDENTIALS_LIFETIME:
        return fail(
            "clock",
            f"clock skew of {abs(skew):.0f} s exceeds the role credentials' lifetime "
            f"({CREDENTIALS_LIFETIME:.0f} s): every refresh yields credentials that look expired",
            *evidence,
            fix=fix,
        )
    if abs(skew) > SKEW_WARN:
        return warn(
            "clock",
            f"clock skew of {abs(skew):.0f} s: AWS refuses signed requests",
            *evidence,
            fix=fix,
        )
    return ok("clock", f"clock within {max(abs(skew), 1):.0f} s of {dated.name}", *evidence)
