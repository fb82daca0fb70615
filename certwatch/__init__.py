"""certwatch: fraud-intelligence crawler for certificate-renting and certificate-fraud ads."""

__version__ = "0.1.0"
