"""pytest fixtures that run the local IAM Identity Center emulator (filled in by the emulator work)."""
