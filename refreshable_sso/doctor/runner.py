"""Run every check in order, and apply the safe repairs when asked."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from refreshable_sso.doctor import cache_checks, config_checks, network_checks
from refreshable_sso.doctor.context import DoctorContext
from refreshable_sso.doctor.model import Finding, Repair, Status

# A repair can uncover the next problem (a migrated legacy profile then reads its token under
# the new key): re-check and repair again, a few rounds at most.
MAX_FIX_ROUNDS = 3


@dataclass
class Report:
    profile: str
    findings: list[Finding]
    applied: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(f.status is Status.FAIL for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s.value: sum(f.status is s for f in self.findings) for s in Status}

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "findings": [f.to_dict() for f in self.findings],
            "counts": self.counts(),
            "fixes_applied": self.applied,
            "ok": not self.failed,
        }


def check(
    profile: str, *, environ: Mapping[str, str] | None = None, network: bool = True
) -> Report:
    """Every finding for ``profile``; only reads (files, and the endpoints when ``network``)."""
    ctx = DoctorContext.load(profile, environ)
    findings: list[Finding] = [config_checks.config_file(ctx)]
    if ctx.config is not None:
        findings.append(config_checks.profile_kind(ctx))
        for single in (
            config_checks.scopes(ctx),
            config_checks.shadowed_credential_process(ctx),
            config_checks.session_duration(ctx),
        ):
            if single is not None:
                findings.append(single)
        findings += cache_checks.token(ctx)
        location = cache_checks.secrets_location(ctx)
        if location is not None:
            findings.append(location)
        end = cache_checks.sign_in_end(ctx, config_checks.session_duration_seconds(ctx))
        if end is not None:
            findings.append(end)
        credentials = cache_checks.role_credentials(ctx)
        if credentials is not None:
            findings.append(credentials)
    findings += cache_checks.file_modes(ctx)
    findings += config_checks.environment(ctx)
    if network:
        reach, probes = network_checks.reachability(ctx)
        findings += reach
        skew = network_checks.clock_skew(probes)
        if skew is not None:
            findings.append(skew)
    return Report(profile, findings)


def fix(
    profile: str,
    *,
    environ: Mapping[str, str] | None = None,
    network: bool = True,
    announce: Callable[[Repair], None] | None = None,
) -> Report:
    """Apply every safe repair (announced before it runs), re-checking between rounds."""
    applied: list[str] = []
    report = check(profile, environ=environ, network=network)
    for _ in range(MAX_FIX_ROUNDS):
        repairs = [f.repair for f in report.findings if f.repair is not None]
        if not repairs:
            break
        for repair in repairs:
            if announce is not None:
                announce(repair)
            repair.apply()
            applied.append(repair.description)
        report = check(profile, environ=environ, network=network)
    report.applied = applied
    return report
