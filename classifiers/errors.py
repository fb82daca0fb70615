"""Exceptions raised by the classifiers package."""


class ClassifierError(Exception):
    """Base class; the message says how to fix it."""


class CorpusError(ClassifierError):
    """A corpus file is malformed: the message names the file and line."""


class ModelUnavailable(ClassifierError):
    """No trained model, or one whose metadata does not match this installation."""
