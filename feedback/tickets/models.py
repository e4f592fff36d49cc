"""Models of the feedback app's tickets part."""

__all__: list[str] = []
