"""The slide finder: every distinct slide of a lecture video, with the time spans it was on screen."""

from .detect import detect_slides
from .options import SlideOptions

__all__ = ["SlideOptions", "detect_slides"]
