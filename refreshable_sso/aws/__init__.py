"""The adapter layer between us and boto3/botocore: everything that knows how botocore works.

``clients`` builds the bare SSO, SSO-OIDC and STS clients every other part calls through, and
reads their errors; ``_botocore`` is the one module that touches botocore's private attributes
(each one named and tested against the oldest and newest botocore we allow); ``loader`` shares
one data loader among sessions; ``fast_credentials`` keeps the public path of the fast
refreshable credentials; ``paused_gc`` keeps the collector out of botocore's data-file parse;
``redact`` masks secrets in botocore's wire logs; ``fanout`` runs many small AWS calls side by
side. Nothing here knows about tokens, sessions or the command line.
"""
