"""One module per external system; each exposes a `ResourceDriver` (see base.py)."""
