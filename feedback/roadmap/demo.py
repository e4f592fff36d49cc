"""Demo data for the feedback app's roadmap part (seed_demo)."""


def seed() -> list[str]:
    """Create the part's demo data where absent; one line per thing made, for seed_demo."""
    return []
