"""Classify certificate-fraud ads: normalise, featurise, score, explain."""
