"""The engine: the only door to the models and the store (the facade is `Studio`)."""
from studio.core.params import RoundParams
from studio.engine.studio import Studio
from studio.engine.validation import StudioError

__all__ = ["RoundParams", "Studio", "StudioError"]
