"""Models of the feedback app's metrics part."""

__all__: list[str] = []
