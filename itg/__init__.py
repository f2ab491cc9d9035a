"""itg — a self-hosted server implementing the PontoWeb ITG2.0 integration API."""

__version__ = "0.1.0"
