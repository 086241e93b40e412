"""Where the caches' records live, and the locks that guard them.

``base`` is the record-store protocol (what a cache needs from the place its JSON object
lives); ``files`` and ``mapping`` implement it (a file shared with the AWS CLI; a key of a
caller's dict); ``locks`` is the one lock registry of the process; ``paths`` names every file
we share with the AWS CLI. The submodules are imported directly (nothing is loaded here), so
importing one store does not import the others.
"""
