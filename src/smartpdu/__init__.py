"""smartpdu — the software brain of a SmartPDU, with a physics-level digital twin of the rack."""

__version__ = "0.1.0"
__all__ = ["__version__"]
