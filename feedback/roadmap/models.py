"""Models of the feedback app's roadmap part."""

__all__: list[str] = []
