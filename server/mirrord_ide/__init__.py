"""mirrord-ide: an IDE backend for mirrord-style Kubernetes targeting."""

__version__ = "0.1.0"
