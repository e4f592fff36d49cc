"""Models of the feedback app's survey part."""

__all__: list[str] = []
