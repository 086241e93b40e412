"""refreshable_sso."""
