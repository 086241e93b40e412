"""``refreshable-sso doctor``: why "the AWS CLI works but Python doesn't", and the exact fix.

Each check looks at one thing (the config file, the profile's kind, scopes, the token the
profile reads and tokens under other keys, cached role credentials, file modes, the
environment, the endpoints and the clock) and reports OK / WARN / FAIL with its evidence.
Only :func:`fix` changes anything, and only with repairs that are safe to apply unattended.
"""

from refreshable_sso.doctor.model import Finding, Repair, Status
from refreshable_sso.doctor.runner import Report, check, fix

__all__ = ["Finding", "Repair", "Report", "Status", "check", "fix"]
