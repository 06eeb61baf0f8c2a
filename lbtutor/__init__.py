"""lbtutor: learn load balancing and scaling by watching it happen."""

__version__ = "0.1.0"
