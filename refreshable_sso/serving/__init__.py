"""Serving role credentials to other processes: credential_process, export, exec, and a
container-credentials endpoint.

Everything here reads credentials through an ``SSORefreshableSession`` (its token provider,
role-credential fetcher, shared cache files and locks) or, on the ``credential-process`` fast
path, straight from that same cache file. Nothing here keeps a cache of its own.

Modules are imported where used; ``ContainerCredentialServer`` is also a public name of
``refreshable_sso``.
"""
