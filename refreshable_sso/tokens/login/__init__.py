"""Signing in: the flows that ask a person, and the public ``login()`` / ``logout()``.

``signin`` holds ``login()`` and ``logout()``; ``options`` the frozen ``LoginOptions`` they and
the session pass down whole; ``policy`` decides when a session may start a sign-in and keeps
two processes from starting the same one; ``interactive`` is what the two flows share;
``device`` (device authorization) and ``pkce`` (authorization code with PKCE, a loopback
listener) are the flows; ``_prompt_server`` lets a loopback HTTP server stop at once.

Nothing is imported here, so ``refreshable_sso.tokens.login._prompt_server`` (which the
credential server and the emulator share) does not pull in the flows.
"""
