"""Reports built from the store: evidence packets for referral."""
